"""The desk's pages in a real Chromium, against a real ``cardflow serve``: what a
supervisor sees, reads, downloads and can reach with the keyboard alone."""
