"""``python -m dwp_assess`` is the same as the ``dwp-assess`` command."""

from dwp_assess.cli.main import main

main()
