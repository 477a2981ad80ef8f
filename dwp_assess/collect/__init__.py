"""Collection: the ipywidgets form, drafts, the Voilà server and the XLSForm export.
Never imports reports or the command line."""
