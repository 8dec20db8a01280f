"""Shared fixtures: real DuckDB files in tmp_path, the real seeds, the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline import db
from pipeline.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LETTER_SENTENCE = "We respect your sovereign decision to order our departure"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "news.duckdb"


@pytest.fixture
def con(db_path: Path) -> duckdb.DuckDBPyConnection:
    connection = db.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


def cli(*args: str) -> tuple[int, str, str]:
    """Run the real CLI in-process; returns (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pipeline run over the seeds, shared by read-only tests."""
    path = tmp_path_factory.mktemp("seedsdb") / "news.duckdb"
    code, out, err = cli("run", SEEDS, "--db", path)
    assert code == 0, err
    return path


@pytest.fixture
def seeds_con(seeds_db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(seeds_db), read_only=True)
    yield connection
    connection.close()
