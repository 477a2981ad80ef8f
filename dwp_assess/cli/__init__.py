"""``dwp-assess`` command line: parses arguments and calls the package's modules.

Thin on purpose: every command delegates to a module function that is tested on
its own. Errors that users can cause (bad files, unknown rounds) are printed as
one clear line with exit code 2; ``--debug`` shows the traceback instead.

Commands work in a project folder (``dwp.toml``, see ``dwp_assess.project``), found from
the working directory upwards or given by ``--project`` / ``DWP_PROJECT``; ``init``,
``demo``, ``validate``, ``template``, ``export-form`` and ``sample`` need none.

Heavy libraries (pandas, SQLAlchemy, plotly, papermill, the instrument models) are imported
inside the commands that use them, so `--help`, `--version`, `init` and a mistyped option
answer at once (benchmarks/bench_startup.py; tests/test_cli_usage.py checks the imports).

``app`` holds the Typer app and the top-level options, ``settings`` the project resolved for
the command, ``summaries`` what imports and report runs print; one module per group of
commands (``project_folder``, ``registry_rounds``, ``data_files``, ``sample``, ``forms``,
``reports``, ``plans``), and ``main``, the entry point, registers them in ``--help``'s order.
"""
