"""One spider per source, one file per spider; a spider's `name` equals its Source.code."""
