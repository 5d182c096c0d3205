"""The analysts' pages: server-rendered HTML over rates.reads (the converter at `/`, and the
rates, currencies and pair pages to come). Depends on rates; rates never imports it."""
