import pytest

from valuescope.benchmarks.worldvaluesbench.parse import parse_reply

CASES = [
    ('{"thoughtful explanation": "Family first.", "answer as a score": "1"}', 1, "json"),
    ('{"thoughtful explanation": "x", "answer as a score": 7}', 7, "json"),
    ('Sure!\n```json\n{"Thoughtful Explanation": "a {b} c", "Answer as a Score": "10"}\n```',
     10, "json"),
    ('{"answer_as_a_score": "3 (rather important)"}', 3, "json"),
    ('{"thoughtful explanation": "They value 2 things", "answer as a score": "n/a"} so 4', 2,
     "fallback"),
    ("I would say 3 on this scale.", 3, "fallback"),
    ("Score: -1", -1, "fallback"),
    ("I cannot answer that.", None, "invalid"),
    ("", None, "invalid"),
    ('{"answer as a score": "... score ..."}', None, "invalid"),
    ('{"answer as a score": 4.0}', 4, "json"),
    ('{"answer as a score": true} 5', 5, "fallback"),
]


@pytest.mark.parametrize("text,value,status", CASES)
def test_parse_reply(text: str, value: int | None, status: str) -> None:
    parsed = parse_reply(text)
    assert (parsed.value, parsed.status) == (value, status)
