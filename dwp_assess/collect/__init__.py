"""Collection: the questionnaire logic (questionnaire.py), the form server without a kernel per
respondent (web.py, page.py, static/, started by server.py), the ipywidgets form for Jupyter
(forms.py), drafts and the browser key, and the XLSForm export.
Never imports reports or the command line."""
