"""Text embeddings for topic modelling and statement similarity.

The default needs no model and no language-specific tokenisation: character 2-4-grams, TF-IDF
weighted (sublinear tf), reduced to at most 64 dimensions by a seeded randomised SVD, rows
L2-normalised. Character n-grams work for Chinese as for French or German, where the original
switched between per-language Sentence-Transformers. A local model folder can be given instead
(``--embedder PATH``): Sentence-Transformers when installed, else mean-pooled transformers states.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from valuescope.errors import UserError

DEFAULT = "char-ngram"


class Embedder(Protocol):
    name: str

    def __call__(self, texts: Sequence[str]) -> Any:
        """An (n, d) float array with unit rows."""
        ...


class CharNgramEmbedder:
    def __init__(self, ngrams: tuple[int, int] = (2, 4), dims: int = 64,
                 max_features: int = 200_000, seed: int = 0):
        self.ngrams, self.dims, self.max_features, self.seed = ngrams, dims, max_features, seed
        self.name = f"{DEFAULT}-{ngrams[0]}-{ngrams[1]}-tfidf-svd{dims}-seed{seed}"

    def _grams(self, text: str) -> Counter[str]:
        text = re.sub(r"\s+", " ", text.lower()).strip()
        low, high = self.ngrams
        return Counter(text[i:i + n] for n in range(low, high + 1)
                       for i in range(max(0, len(text) - n + 1)))

    def __call__(self, texts: Sequence[str]) -> Any:
        import numpy as np
        from scipy import sparse

        counts = [self._grams(t) for t in texts]
        frequency = Counter(g for c in counts for g in c)
        vocabulary = {g: i for i, (g, _) in enumerate(frequency.most_common(self.max_features))}
        n = len(texts)
        rows, cols, values = [], [], []
        for row, grams in enumerate(counts):
            for gram, count in grams.items():
                column = vocabulary.get(gram)
                if column is not None:
                    idf = math.log((1 + n) / (1 + frequency[gram])) + 1
                    rows.append(row)
                    cols.append(column)
                    values.append((1 + math.log(count)) * idf)
        matrix = sparse.csr_matrix((values, (rows, cols)), shape=(n, max(1, len(vocabulary))))
        norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
        matrix = sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix
        reduced = _randomized_svd(matrix, min(self.dims, n, matrix.shape[1]), self.seed)
        return _unit_rows(reduced)


def _randomized_svd(matrix: Any, rank: int, seed: int) -> Any:
    """U * S of a rank-``rank`` approximation (Halko et al.), seeded so it is reproducible."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sketch = matrix @ rng.standard_normal((matrix.shape[1], min(rank + 8, matrix.shape[1])))
    basis, _ = np.linalg.qr(sketch)
    for _ in range(2):  # power iterations sharpen the spectrum of sparse text matrices
        basis, _ = np.linalg.qr(matrix @ (matrix.T @ basis))
    small = (matrix.T @ basis).T
    u, s, _ = np.linalg.svd(small, full_matrices=False)
    u = basis @ u[:, :rank]
    signs = np.sign(u[np.abs(u).argmax(axis=0), range(u.shape[1])])  # deterministic signs
    return u * s[:rank] * np.where(signs == 0, 1, signs)


def _unit_rows(array: Any) -> Any:
    import numpy as np

    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.maximum(norms, 1e-12)


class LocalModelEmbedder:
    """A local embedding model folder (no hub): Sentence-Transformers, else mean pooling."""

    def __init__(self, path: Path, batch_size: int = 16):
        if not path.is_dir():
            raise UserError(f"{path}: no such embedding model folder (given as --embedder)")
        self.path, self.batch_size = path, batch_size
        self.name = f"local:{path.resolve()}"

    def __call__(self, texts: Sequence[str]) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            return _unit_rows(self._mean_pooled(texts))
        model = SentenceTransformer(str(self.path), device="cpu")
        return _unit_rows(model.encode(list(texts), batch_size=self.batch_size))

    def _mean_pooled(self, texts: Sequence[str]) -> Any:
        import numpy as np
        import torch
        from transformers import AutoModel, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self.path)
            model = AutoModel.from_pretrained(self.path).eval()
        except (OSError, ValueError) as exc:
            raise UserError(f"{self.path}: cannot load an embedding model: {exc}") from None
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = tokenizer(list(texts[start:start + self.batch_size]), padding=True,
                                  truncation=True, max_length=512, return_tensors="pt")
                states = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                chunks.append(((states * mask).sum(1) / mask.sum(1).clamp(min=1)).numpy())
        return np.concatenate(chunks)


def make_embedder(spec: str, seed: int = 0) -> Embedder:
    if spec == DEFAULT:
        return CharNgramEmbedder(seed=seed)
    return LocalModelEmbedder(Path(spec).expanduser())
