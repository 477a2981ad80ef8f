"""``python -m dwp_assess`` is the same as the ``dwp-assess`` command."""

from dwp_assess.cli import main

main()
