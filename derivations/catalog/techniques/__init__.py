"""NumPy implementations of the lecture's training techniques, referenced by catalog entries.

Each function or class here is small and self-contained (it imports only NumPy), because the
``train-code`` generator copies its source verbatim into the scripts it prints: the code a
student reads in a generated script is exactly the code the test suite checks.
"""
