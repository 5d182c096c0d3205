"""Drop-in compatible APIs: Frankfurter (v1, v2), Open Exchange Rates and Fixer, at their
original paths, in their original shapes, answered from Koel's rates."""
