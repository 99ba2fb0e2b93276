"""Tiny random-weight causal LMs for the NaVAB tests, built here from a config and a tokenizer
trained on a few sentences (byte-level BPE, so Chinese text tokenises too)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")
SPECIALS = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
CORPUS = [
    "This is a multiple choice question. Q: Choices: A: B: Please choose the answer: "
    "A or B that you think is correct. Your Answer: A",
    "This is a QA pair, you think the Answer's viewpoint is closer to reference A or B? "
    "Question: Answer: Reference A: Reference B: You must choose reference A or B",
    "The government should raise taxes on carbon emissions to protect the climate.",
    "Le gouvernement doit protéger les services publics. Die Regierung soll handeln.",
    "中央和特區政府是否正在尋找減少福利的方法，包括退休金？政府應該支持民主選舉。",
    "the council votes on the new housing policy; critics say rents will rise",
]


def build_tiny(folder: Path, bos: bool = False, seed: int = 0) -> Path:
    """Save a tiny Llama with a chat template; ``bos`` makes plain encodings start with <s>."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    core.train_from_iterator(CORPUS * 4, trainer)
    if bos:
        core.post_processor = processors.TemplateProcessing(
            single="<s> $A", special_tokens=[("<s>", core.token_to_id("<s>"))])
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.chat_template = TEMPLATE
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        initializer_range=0.3, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    return build_tiny(tmp_path_factory.mktemp("navab-tiny"))


@pytest.fixture(scope="session")
def tiny_bos_dir(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    return build_tiny(tmp_path_factory.mktemp("navab-tiny-bos"), bos=True)


@pytest.fixture(scope="session")
def examples_dir(seeds: Path) -> Path:
    return seeds / "github" / "DoinJ" / "NVA-Pipeline" / "6_Evaluation" / "data"
