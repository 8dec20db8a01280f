"""`newsdedup` and `python -m pipeline`. The stop signals are handled before the heavy
imports (DuckDB, trafilatura: a third of a second), so a SIGTERM at start-up ends the
process as it does later: one line and exit code 128 + the signal."""

from pipeline import errors


def main() -> None:
    errors.handle_stop_signals()
    from pipeline.cli import main as run

    run()


if __name__ == "__main__":
    main()
