"""Tiny random-weight causal LMs built from a config, for tests (no model hub, a few kB).

A 2-layer Llama with a byte-level BPE tokenizer trained on a few sentences, so any text
(Chinese included) tokenises. Needs the ``hf`` extra (torch, transformers, tokenizers).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

SPECIALS = ("<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>")
#: A chat template that writes the BOS itself, so rendered chats never need the tokenizer's.
CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>"
                 "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")


def build_tiny_llama(folder: Path, corpus: Sequence[str], *, vocab_size: int = 500,
                     chat_template: str | None = CHAT_TEMPLATE, bos: bool = False,
                     max_positions: int = 1024, no_early_eos: bool = False,
                     seed: int = 0) -> Path:
    """Save a tiny Llama and its tokenizer into ``folder`` and return it.

    ``bos``: plain encodings start with ``<s>`` (as Llama-style tokenizers do).
    ``no_early_eos``: the eos logit is 0 while the best other token's is positive, so greedy
    generation never stops early. Initial weights are spread wide (``initializer_range`` 0.3)
    so logits are peaked and greedy choices are far from ties.
    """
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(list(corpus) * 4, trainer)
    if bos:
        core.post_processor = processors.TemplateProcessing(
            single="<s> $A", special_tokens=[("<s>", core.token_to_id("<s>"))])
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.chat_template = chat_template
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions,
        initializer_range=0.3, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    if no_early_eos:
        with torch.no_grad():
            model.lm_head.weight[tokenizer.eos_token_id] = 0
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
