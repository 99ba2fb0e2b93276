"""Model specs in Inspect's style: ``openai/<name>``, ``hf/<path>``, ``baseline/<name>``.

``hf`` alone (or ``hf/default``) is the embedded SmolLM2-135M-Instruct. The spec and its options are
stored in the run manifest (never the API key), so ``--resume`` can rebuild the same model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from valuescope.errors import UserError
from valuescope.models.base import Model

BACKENDS = ("openai", "hf", "baseline")
EXAMPLES = "openai/gpt-4o-mini, openai/<served-name> --base-url http://127.0.0.1:8000/v1, " \
           "hf/path/to/model, hf (the embedded SmolLM2), baseline/uniform"


@dataclass
class ModelSpec:
    spec: str
    base_url: str | None = None
    max_connections: int = 32
    batch_size: int | None = None
    trust_remote_code: bool = False
    endpoint: str = "auto"  # openai backend: auto | chat | completions
    threads: int | None = None  # hf backend: torch CPU threads (None: torch's default)

    @property
    def backend(self) -> str:
        return self.spec.split("/", 1)[0]

    @property
    def target(self) -> str:
        return self.spec.split("/", 1)[1] if "/" in self.spec else ""

    def to_manifest(self) -> dict[str, Any]:
        return {"spec": self.spec, "base_url": self.base_url,
                "max_connections": self.max_connections, "batch_size": self.batch_size,
                "trust_remote_code": self.trust_remote_code, "endpoint": self.endpoint,
                "threads": self.threads}


def parse(spec: str, **settings: Any) -> ModelSpec:
    backend = spec.split("/", 1)[0]
    if backend not in BACKENDS:
        raise UserError(f"unknown model spec {spec!r}: it must start with one of "
                        f"{', '.join(b + '/' for b in BACKENDS)} (e.g. {EXAMPLES})")
    if backend != "hf" and ("/" not in spec or not spec.split("/", 1)[1]):
        raise UserError(f"model spec {spec!r} needs a name after '{backend}/' (e.g. {EXAMPLES})")
    return ModelSpec(spec=spec, **{k: v for k, v in settings.items() if v is not None})


def build(model_spec: ModelSpec) -> Model:
    """Instantiate the backend (heavy imports happen here, not at CLI start-up)."""
    backend, target = model_spec.backend, model_spec.target
    if backend == "baseline":
        from valuescope.models.baselines import BaselineModel

        return BaselineModel(target)
    if backend == "openai":
        from valuescope.models.openai_compat import OpenAICompatModel

        return OpenAICompatModel(target, base_url=model_spec.base_url,
                                 api_key=os.environ.get("OPENAI_API_KEY"),
                                 max_connections=model_spec.max_connections,
                                 endpoint=model_spec.endpoint)  # type: ignore[arg-type]
    from valuescope.models.hf import HFModel

    if target in ("", "default", "smollm2"):
        from valuescope.models.smollm2 import default_model_dir

        target = str(default_model_dir())
    if model_spec.threads:
        import torch

        torch.set_num_threads(model_spec.threads)  # process-wide; 1 is far faster on a busy CPU
    kwargs: dict[str, Any] = {"trust_remote_code": model_spec.trust_remote_code}
    if model_spec.batch_size:
        kwargs["batch_size"] = model_spec.batch_size
    return HFModel(target, **kwargs)
