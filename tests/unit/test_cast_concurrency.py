"""``STRIKEVOTE_CAST_CONCURRENCY``: casts handled at once per server worker, validated at start-up."""

from __future__ import annotations

import pytest

from strikevote.web.app import DEFAULT_CAST_CONCURRENCY, ENV_CAST_CONCURRENCY, _cast_concurrency


def test_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_CAST_CONCURRENCY, raising=False)
    assert _cast_concurrency() == DEFAULT_CAST_CONCURRENCY == 3


def test_a_number_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CAST_CONCURRENCY, "8")
    assert _cast_concurrency() == 8


@pytest.mark.parametrize("raw", ["0", "-1", "257", "three", "2.5"])
def test_a_bad_value_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(ENV_CAST_CONCURRENCY, raw)
    with pytest.raises(ValueError, match=ENV_CAST_CONCURRENCY):
        _cast_concurrency()
