"""Frankfurter-compatible API (https://frankfurter.dev): v1 at /v1/, v2 at /v2/.

v1 answers from the ECB's reference rates Koel stores under source "ecb"; v2 blends Koel's
sources as Frankfurter blends its providers. Shapes, rounding and errors follow
lineofflight/frankfurter's lib/versions/ code; see v1.py and v2.py.
"""
