"""Micro-training (ISO 9001/14001/45001 7.2 competence, 7.3 awareness): the question bank first, shared with the
procedures' comprehension checks; sessions, spaced repetition and competence follow (issue 10)."""
