"""The pipeline's pieces on their own: reply parsing, embeddings and clustering, key terms, and
conflict reduction's stance graph."""

from __future__ import annotations

import pytest

from valuescope.benchmarks.navab.pipeline import conflicts, parse, topics
from valuescope.benchmarks.navab.pipeline.embed import CharNgramEmbedder, LocalModelEmbedder


@pytest.mark.parametrize("reply,verdict", [
    ("It is about elections. ## yes", True), ("## No", False), ("Reasoning...\n## Yes.", True),
    ("The economy is not at stake, I know. ## no", False),
    ("It is not trivial, it concerns the economy. ## yes", True),
    ("Final answer: yes", True), ("## 是", True), ("## 不是", False), ("I cannot say.", None)])
def test_yes_no_reads_whole_words_after_the_marker(reply, verdict):
    assert parse.yes_no(reply) is verdict


def test_the_original_rule_drops_any_no_substring():
    assert parse.original_yes_no("## yes") is True
    assert parse.original_yes_no("It is not trivial. ## yes") is False  # "not"
    assert parse.original_yes_no("economy matters ## yes") is False  # "economy"
    assert parse.original_yes_no("yes") is False  # no "##"


def test_labels_and_markers():
    assert parse.labelled("Thinking...\ntopic: **Carbon tax**\n", "topic") == "Carbon tax"
    assert parse.labelled("no label here", "topic") is None
    assert parse.after_marker("a ## b ## c ") == "c" and parse.after_marker("a ##  ") is None


def test_char_ngram_embeddings_group_related_texts_in_any_script():
    texts = ["rent control for tenants", "tenants want rent control", "carbon tax on emissions",
             "emissions and the carbon tax", "香港房屋政策 公屋 租金", "公屋 租金 房屋政策"]
    vectors = CharNgramEmbedder()(texts)
    again = CharNgramEmbedder()(texts)
    assert (vectors == again).all() and vectors.shape[0] == 6
    similarity = vectors @ vectors.T
    for a, b in ((0, 1), (2, 3), (4, 5)):
        others = [similarity[a][c] for c in range(6) if c not in (a, b)]
        assert similarity[a][b] > max(others)
    labels, _ = topics.spherical_kmeans(vectors, 3, seed=0)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[4] == labels[5]
    assert len(set(labels.tolist())) == 3


def test_local_embedding_model_without_sentence_transformers(tiny_dir):
    vectors = LocalModelEmbedder(tiny_dir)(["rent control", "carbon tax", "公屋"])
    assert vectors.shape[0] == 3
    assert abs(float((vectors[0] ** 2).sum()) - 1) < 1e-5


def test_key_terms_drop_corpus_wide_words():
    corpus = ["the council and rent control", "the council and rent caps", "the council and "
              "carbon tax", "the council and carbon levy", "the council and football"]
    terms = topics.key_terms([corpus[:2], corpus[2:4]], corpus)
    assert terms[0][0] == "rent" and terms[1][0] == "carbon"
    assert "council" not in terms[0] + terms[1]  # in every article: a stop word here
    assert topics.key_terms([["香港房屋政策"]], ["香港房屋政策"])[0][:2] == ["屋政", "房屋"]


@pytest.mark.parametrize("reply,sign", [("## same", 1), ("They clash. ## opposite stances", -1),
                                        ("## unrelated", 0), ("no marker: opposite", None)])
def test_stance_parsing(reply, sign):
    assert conflicts.parse_stance(reply) == sign


def test_candidate_pairs_take_nearest_neighbours():
    similarity = [[1, .9, .1, .5], [.9, 1, .2, .4], [.1, .2, 1, .05], [.5, .4, .05, 1]]
    assert conflicts.candidate_pairs(similarity, 1, 0.0) == [(0, 1, .9), (0, 3, .5), (1, 2, .2)]
    assert conflicts.candidate_pairs(similarity, 1, 0.3) == [(0, 1, .9), (0, 3, .5)]


def test_minority_side_is_dropped_with_reasons():
    # 0, 1, 2 agree; 3 opposes 0; 4 agrees with 3 (so it sides against the majority too).
    edges = [(0, 1, 1), (1, 2, 1), (0, 3, -1), (3, 4, 1)]
    dropped, _ = conflicts.resolve(6, edges)
    assert sorted(dropped) == [3, 4]
    assert dropped[3]["opposes"] == [0] and dropped[4]["opposes"] == []
    assert "dominant stance (2 vs 3" in dropped[3]["reason"]


def test_equal_sides_have_no_dominant_stance_and_agreement_alone_drops_nothing():
    assert sorted(conflicts.resolve(2, [(0, 1, -1)])[0]) == [0, 1]
    assert "no dominant stance" in conflicts.resolve(2, [(0, 1, -1)])[0][0]["reason"]
    assert conflicts.resolve(3, [(0, 1, 1), (1, 2, 1)]) == ({}, [])


def test_inconsistent_edges_are_reported():
    # 0=1, 1=2 but 0 opposes 2: no split satisfies all three; one edge is reported broken.
    side, components, broken = conflicts.split_sides(3, [(0, 1, 1), (1, 2, 1), (0, 2, -1)])
    assert components == [[0, 1, 2]] and len(broken) == 1
