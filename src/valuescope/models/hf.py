"""Local transformers backend: a causal LM from a folder (config.json + safetensors) or a .gguf.

torch and transformers are imported only when a model is built, so the CLI starts fast. All model
work runs in a worker thread (``asyncio.to_thread``) behind a lock, one batch at a time.

- ``Generate``: greedy requests of a batch run as one left-padded ``generate`` call. Sampled
  requests (temperature > 0) run one at a time under ``torch.manual_seed(seed)``, so a sample does
  not depend on which other requests happened to share its batch.
- ``Score``: the string context+continuation is tokenised whole, as lm-eval does; the context is the
  longest token prefix it shares with the context tokenised alone and with the other continuations.
  A token straddling the boundary therefore counts towards the continuation, and
  ``context_logprob + logprobs[i]`` is always the log-likelihood of full string i. A plain context
  gets the tokenizer's special tokens (BOS) unless ``Score.special_tokens`` is False. Scores with the
  same context (within one request or across a batch) run that shared prefix once with the KV cache,
  then their continuations as a batch on copies of that cache.

Chats are rendered with the tokenizer's chat template (with the generation prompt) when it has one,
else as plain ``role: content`` lines ending in ``assistant:``; the identity records which.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from valuescope.core.requests import (
    Generate,
    Generation,
    Message,
    Request,
    Response,
    Score,
    Scores,
)
from valuescope.errors import UserError
from valuescope.models.base import RequestError
from valuescope.sources import cache_dir, sha256_of

DTYPES = ("float32", "bfloat16", "float16")


class HFModel:
    max_concurrency = 1

    def __init__(self, path: str, batch_size: int = 8, device: str = "cpu", dtype: str = "float32",
                 trust_remote_code: bool = False, chat_template: bool | None = None,
                 max_length: int | None = None):
        """``chat_template``: None uses the tokenizer's template when it has one, True requires it,
        False always renders plain lines. ``max_length``: most tokens (prompt plus new tokens, or
        context plus continuation) a request may use; defaults to the model's position limit."""
        if dtype not in DTYPES:
            raise UserError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}")
        resolved = Path(path).expanduser().resolve()
        directory, gguf_file, weights = _locate(resolved)
        self.batch_size = max(1, batch_size)
        self._device = device
        self._lock = threading.Lock()
        # The tokenizer and config now, the weights on the first request: a run whose answers are
        # all in the store never pays for loading them.
        self._where = (directory, gguf_file, dtype, device, trust_remote_code)
        self._tokenizer, config = _load_tokenizer_and_config(*self._where)
        self._model: Any = None
        self._closed = False
        template = self._tokenizer.chat_template
        if isinstance(template, dict):  # several named templates: the plain chat one is "default"
            template = template.get("default")
        if chat_template and not template:
            raise UserError(f"{resolved}: the tokenizer has no chat template")
        self._template: str | None = template if chat_template is not False and template else None
        self._max_length = max_length or getattr(config, "max_position_embeddings", None)
        self._pad_id = _pad_id(self._tokenizer)
        self._eos_ids: list[int] = []
        # The weights' hash identifies the model, not where it lies, so a copy elsewhere (or the
        # embedded model converted into another cache) keeps its cached answers.
        self.path = str(resolved)
        self.identity: dict[str, Any] = {
            "backend": "hf",
            "name": resolved.name,
            "weights_sha256": weights_sha256(weights),
            "dtype": dtype,
            "chat_template_sha256": _sha256_text(self._template) if self._template else None,
            "batch_size": self.batch_size,
        }

    async def answer(self, batch: Sequence[Request]) -> list[Response | Exception]:
        return await asyncio.to_thread(self._answer, list(batch))

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:  # waits for a batch still running (e.g. after a runner timeout)
            self._model = None
            self._closed = True

    # -- worker thread -------------------------------------------------------------------------

    def _answer(self, batch: list[Request]) -> list[Response | Exception]:
        import torch

        results: list[Response | Exception | None] = [None] * len(batch)
        # inference_mode is per thread, so it is entered here rather than around to_thread.
        with self._lock, torch.inference_mode():
            if self._closed:
                raise RuntimeError("HFModel is closed")
            if self._model is None:
                self._model = _load_model(*self._where)
                self._eos_ids = _eos_ids(self._model, self._tokenizer)
            self._generate_all(batch, results)
            self._score_all(batch, results)
        return [r if r is not None else RuntimeError("unanswered") for r in results]

    def _render(self, messages: Sequence[Message]) -> str:
        """The chat as text ending where the assistant's reply starts."""
        if self._template is None:
            return "".join(f"{m.role}: {m.content}\n" for m in messages) + "assistant:"
        from jinja2 import TemplateError

        chat = [{"role": m.role, "content": m.content} for m in messages]
        try:
            return self._tokenizer.apply_chat_template(
                chat, chat_template=self._template, tokenize=False, add_generation_prompt=True)
        except TemplateError as err:
            raise RequestError(f"chat template failed: {err}") from err

    def _encode(self, text: str, special_tokens: bool) -> list[int]:
        return list(self._tokenizer(text, add_special_tokens=special_tokens)["input_ids"])

    def _too_long(self, n_tokens: int) -> RequestError | None:
        if self._max_length is not None and n_tokens > self._max_length:
            return RequestError(f"{n_tokens} tokens exceed the model's limit of {self._max_length}")
        return None

    # -- Generate ------------------------------------------------------------------------------

    def _generate_all(self, batch: list[Request], results: list) -> None:
        greedy: list[tuple[int, list[int], int]] = []
        for i, request in enumerate(batch):
            if not isinstance(request, Generate):
                continue
            try:
                chat = request.prompt is None
                text = self._render(request.messages) if chat else request.prompt
                # A templated chat carries its own special tokens (BOS included when the template
                # wants it); plain prompts and plain-rendered chats get the tokenizer's usual ones.
                ids = self._encode(text, not (chat and self._template is not None))
                error = self._too_long(len(ids) + 1)
                if error:
                    raise error
            except RequestError as err:
                results[i] = err
                continue
            budget = request.max_tokens
            if self._max_length is not None:  # no room past the limit: finish_reason says "length"
                budget = min(budget, self._max_length - len(ids))
            if budget <= 0:
                results[i] = Generation("", "length", len(ids), 0)
                continue
            if request.temperature > 0:
                results[i] = self._run_generate([(ids, budget, request.stop)], request)[0]
            else:
                greedy.append((i, ids, budget))
        for start in range(0, len(greedy), self.batch_size):
            chunk = greedy[start:start + self.batch_size]
            rows = [(ids, budget, batch[i].stop) for i, ids, budget in chunk]
            for (i, _, _), generation in zip(chunk, self._run_generate(rows, None), strict=True):
                results[i] = generation

    def _run_generate(self, rows: list[tuple[list[int], int, tuple[str, ...]]],
                      sampled: Generate | None) -> list[Generation]:
        """One left-padded ``generate`` call; ``sampled`` is the request whose temperature and seed
        apply (a batch of one), or None for greedy decoding."""
        import torch
        from transformers import GenerationConfig, StoppingCriteriaList

        width = max(len(ids) for ids, _, _ in rows)
        input_ids = torch.tensor([[self._pad_id] * (width - len(ids)) + ids for ids, _, _ in rows])
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids, _, _ in rows])
        stopper = _RowStopper(self._tokenizer, width, [(b, s) for _, b, s in rows])
        # The knobs are set so the checkpoint's own generation_config cannot change the result:
        # plain temperature sampling, as the request asks, or plain greedy decoding.
        sampling = {"temperature": sampled.temperature, "top_k": 0, "top_p": 1.0} if sampled else {}
        config = GenerationConfig(
            max_new_tokens=max(b for _, b, _ in rows), do_sample=sampled is not None,
            repetition_penalty=1.0, eos_token_id=self._eos_ids, pad_token_id=self._pad_id,
            **sampling)
        if sampled is not None and sampled.seed is not None:
            torch.manual_seed(sampled.seed)
        output = self._model.generate(
            input_ids=input_ids.to(self._device), attention_mask=mask.to(self._device),
            generation_config=config, stopping_criteria=StoppingCriteriaList([stopper]))
        generations = []
        for row, (ids, _, stop) in enumerate(rows):
            new = output[row, width:].tolist()[:stopper.ended_at.get(row, len(output[row]))]
            ended_by_eos = next((j for j, t in enumerate(new) if t in self._eos_ids), None)
            if ended_by_eos is not None:
                new = new[:ended_by_eos]
            text = self._tokenizer.decode(new, skip_special_tokens=True)
            cut = _cut_at_stop(text, stop)
            finish = "stop" if ended_by_eos is not None or cut is not None else "length"
            used = len(new) + (ended_by_eos is not None)
            generations.append(Generation(text=text if cut is None else text[:cut],
                                          finish_reason=finish, prompt_tokens=len(ids),
                                          completion_tokens=used))
        return generations

    # -- Score ---------------------------------------------------------------------------------

    def _score_all(self, batch: list[Request], results: list) -> None:
        # Group by context text so a context shared by several requests also runs only once.
        groups: dict[tuple[bool, str], list[tuple[int, list[list[int]], int]]] = {}
        for i, request in enumerate(batch):
            if not isinstance(request, Score):
                continue
            try:
                chat = request.prompt is None
                if chat:
                    context = self._render(request.messages) + request.prefix
                else:
                    context = request.prompt
                special = request.special_tokens and not (chat and self._template is not None)
                context_ids = self._encode(context, special)
                rows = [self._encode(context + c, special) for c in request.continuations]
                split = _common_prefix([context_ids, *rows])
                if split == 0:
                    raise RequestError("the context has no token of its own to condition on")
                error = self._too_long(max(len(r) for r in rows))
                if error:
                    raise error
            except RequestError as err:
                results[i] = err
                continue
            groups.setdefault((special, context), []).append((i, rows, split))
        for members in groups.values():
            token_logprobs = self._token_logprobs([row for _, rows, _ in members for row in rows])
            for i, rows, split in members:
                mine, token_logprobs = token_logprobs[:len(rows)], token_logprobs[len(rows):]
                # mine[r][t - 1] = log P(token t | tokens before t): the context is t < split.
                results[i] = Scores(
                    logprobs=tuple(float(sum(lp[split - 1:])) for lp in mine),
                    tokens=tuple(len(row) - split for row in rows),
                    context_logprob=float(sum(mine[0][:split - 1])),
                    context_tokens=split - 1)

    def _token_logprobs(self, rows: list[list[int]]) -> list[list[float]]:
        """For each token row, log P(row[t] | row[:t]) for t >= 1. The rows' common prefix runs
        once; the rest of each row runs in batches on copies of the prefix's KV cache."""
        import copy

        import torch

        shared = _common_prefix(rows)  # >= 1: the caller checked each context has a token
        prefix = torch.tensor([rows[0][:shared]], device=self._device)
        out = self._model(input_ids=prefix, use_cache=True)
        head = _logprobs_of(out.logits[0, :-1], rows[0][1:shared])  # shared tokens after the first
        last = torch.log_softmax(out.logits[0, -1].float(), dim=-1)  # each row's next token
        result = [head + ([float(last[r[shared]])] if len(r) > shared else []) for r in rows]
        # Only rows with two or more own tokens need a pass: a row's last token is only a target.
        tails = [(n, r[shared:-1]) for n, r in enumerate(rows) if len(r) > shared + 1]
        for start in range(0, len(tails), self.batch_size):
            chunk = tails[start:start + self.batch_size]
            width = max(len(t) for _, t in chunk)
            # Right padding: padded positions come after the real ones, so causal attention keeps
            # them out of every real token's view; their logits are simply ignored.
            tokens = torch.tensor([t + [self._pad_id] * (width - len(t)) for _, t in chunk],
                                  device=self._device)
            cache = copy.deepcopy(out.past_key_values)
            cache.batch_repeat_interleave(len(chunk))
            logits = self._model(input_ids=tokens, past_key_values=cache, use_cache=True).logits
            for (n, _), row_logits in zip(chunk, logits, strict=True):
                result[n] += _logprobs_of(row_logits, rows[n][shared + 1:])
        return result


class _RowStopper:
    """Stopping criterion per row: its own token budget and stop strings. Remembers where each row
    ended, because generate pads a finished row only from the next step on."""

    def __init__(self, tokenizer: Any, prompt_width: int, rows: list[tuple[int, tuple[str, ...]]]):
        self._tokenizer = tokenizer
        self._start = prompt_width
        self._rows = rows
        self.ended_at: dict[int, int] = {}

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        produced = input_ids.shape[1] - self._start
        done = []
        for row, (budget, stop) in enumerate(self._rows):
            if row not in self.ended_at:
                new = input_ids[row, self._start:]
                text = self._tokenizer.decode(new, skip_special_tokens=True)
                if produced >= budget or (stop and _cut_at_stop(text, stop) is not None):
                    self.ended_at[row] = produced
            done.append(row in self.ended_at)
        return torch.tensor(done, device=input_ids.device)


def _cut_at_stop(text: str, stop: Sequence[str]) -> int | None:
    found = [text.find(s) for s in stop if s and s in text]
    return min(found) if found else None


def _logprobs_of(logits: Any, targets: list[int], step: int = 256) -> list[float]:
    """log-softmax(logits[j])[targets[j]] for each j < len(targets), a slice of rows at a time so
    a long context with a large vocabulary never needs a second full-size copy of its logits."""
    import torch

    values: list[float] = []
    for start in range(0, len(targets), step):
        part = logits[start:start + step].float()[:len(targets) - start]
        index = torch.tensor(targets[start:start + step], device=part.device).unsqueeze(1)
        values += (part.gather(1, index).squeeze(1) - torch.logsumexp(part, dim=-1)).tolist()
    return values


def _common_prefix(rows: list[list[int]]) -> int:
    n = min(len(r) for r in rows)
    for j in range(n):
        if any(r[j] != rows[0][j] for r in rows):
            return j
    return n


# -- loading -----------------------------------------------------------------------------------


def _locate(path: Path) -> tuple[Path, str | None, list[Path]]:
    """(directory to load from, gguf file name or None, weight files to hash)."""
    if not path.exists():
        raise UserError(f"model path {path} does not exist")
    if path.is_file():
        if path.suffix != ".gguf":
            raise UserError(f"{path} is not a model: pass a folder with config.json and "
                            "*.safetensors, or a .gguf file")
        return path.parent, path.name, [path]
    weights = sorted(path.glob("*.safetensors"))
    if not (path / "config.json").is_file() or not weights:
        # *.bin checkpoints are pickles, which can run code when loaded: only safetensors here.
        raise UserError(f"{path} is not a model folder: it needs config.json and *.safetensors "
                        "(or pass a .gguf file)")
    return path, None, weights


def _options(gguf_file: str | None, trust_remote_code: bool) -> dict[str, Any]:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress bar is the one to watch
    options: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if gguf_file:
        options["gguf_file"] = gguf_file
    return options


def _load_tokenizer_and_config(directory: Path, gguf_file: str | None, dtype: str, device: str,
                               trust_remote_code: bool) -> tuple[Any, Any]:
    from transformers import AutoConfig, AutoTokenizer

    options = _options(gguf_file, trust_remote_code)
    try:
        return (AutoTokenizer.from_pretrained(directory, **options),
                AutoConfig.from_pretrained(directory, **options))
    except (OSError, ValueError, ImportError, KeyError) as err:
        where = directory / gguf_file if gguf_file else directory
        raise UserError(f"{where}: cannot load the model: {err}") from err


def _load_model(directory: Path, gguf_file: str | None, dtype: str, device: str,
                trust_remote_code: bool) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=getattr(torch, dtype),
                                                     **_options(gguf_file, trust_remote_code))
    except (OSError, ValueError, ImportError, KeyError) as err:
        where = directory / gguf_file if gguf_file else directory
        raise UserError(f"{where}: cannot load the model: {err}") from err
    return model.to(device).eval()


def _pad_id(tokenizer: Any) -> int:
    # Padding is always masked (generate) or after the real tokens (score): any id will do.
    for token_id in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id):
        if token_id is not None:
            return int(token_id)
    return 0


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    # Chat models often end a turn with a token the tokenizer does not call eos, and the other way.
    ids = model.generation_config.eos_token_id
    ids = list(ids) if isinstance(ids, (list, tuple)) else ([ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return [int(i) for i in ids]


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- weight hashes -----------------------------------------------------------------------------


def _hash_index() -> Path:
    return cache_dir() / "models" / "weights-sha256.json"


def file_sha256(path: Path) -> str:
    """sha256 of a weight file, remembered in a sidecar keyed by path, size and mtime."""
    stat = path.stat()
    key = str(path.resolve())
    stamp = [stat.st_size, stat.st_mtime_ns]
    index_path = _hash_index()
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    entry = index.get(key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        return str(entry["sha256"])
    digest = sha256_of(path)
    index[key] = {"stamp": stamp, "sha256": digest}
    try:  # a read-only cache only costs a rehash next time
        index_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=index_path.parent, delete=False,
                                         suffix=".tmp", encoding="utf-8") as handle:
            json.dump(index, handle, indent=0, sort_keys=True)
        os.replace(handle.name, index_path)
    except OSError:
        pass
    return digest


def weights_sha256(files: list[Path]) -> str:
    """One file: its sha256. Several (sharded) files: sha256 of their 'name sha256' lines."""
    if len(files) == 1:
        return file_sha256(files[0])
    lines = "".join(f"{f.name} {file_sha256(f)}\n" for f in sorted(files))
    return _sha256_text(lines)
