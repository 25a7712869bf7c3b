"""What the record must never keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.redact import read_secrets, redact, redact_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: [redacted]"),
        ("> authorization: Basic dXNlcjpwYXNz\nnext", "> authorization: [redacted]\nnext"),
        ("curl -H 'X-Api-Key: abc123'", "curl -H 'X-Api-Key: [redacted]"),
        ("token abc: Bearer abcdef123", "token abc: Bearer [redacted]"),
        ("PGPASSWORD=hunter2 psql", "PGPASSWORD=[redacted] psql"),
        ('{"password": "hunter2", "user": "bob"}', '{"password": "[redacted]", "user": "bob"}'),
        ("?token=abc&x=1", "?token=[redacted]&x=1"),
        ("client_secret: s3cr3t", "client_secret: [redacted]"),
        ("mysql --password hunter2 -h db", "mysql --password [redacted] -h db"),
        ("postgres://app:hunter2@db:5432/app", "postgres://app:[redacted]@db:5432/app"),
        ("deployment.apps/web restarted", "deployment.apps/web restarted"),
        ("http://127.0.0.1:8080/flags/a@b", "http://127.0.0.1:8080/flags/a@b"),
        (
            "Authorization: Bearer <token from /etc/warroom/flags.token>",
            "Authorization: Bearer <token from /etc/warroom/flags.token>",
        ),
    ],
)
def test_patterns(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_token_file_contents_are_redacted_wherever_they_appear(tmp_path: Path) -> None:
    token = tmp_path / "t"
    token.write_text("zz-very-secret-zz\n")
    secrets = read_secrets([str(token), str(tmp_path / "missing")])
    assert secrets == ("zz-very-secret-zz",)
    assert redact("the key is zz-very-secret-zz, ok", secrets) == "the key is [redacted], ok"
    assert redact_data({"a": ["zz-very-secret-zz", 3], "b": None}, secrets) == {
        "a": ["[redacted]", 3],
        "b": None,
    }
