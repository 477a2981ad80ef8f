"""Why a form cannot be opened, in the respondent's language.

Its own module because both the link checks (``questionnaire.resolve_context``) and the
collaboration checks they call (``collaboration.check``) raise it.
"""

from __future__ import annotations

from dwp_assess.instruments.messages import t
from dwp_assess.locale import known_language


class FormError(ValueError):
    """The form cannot be opened (unknown round, organisation, team, language).

    Carries a catalogue key so the page can show the reason in the respondent's language.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def text(self, lang: str = "nl") -> str:
        return t(self.key, known_language(lang), **self.values)
