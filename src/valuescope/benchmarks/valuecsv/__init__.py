"""ValueCSV: how an LLM's answers to 100 questions map onto the 12 Core Socialist Values.

A classifier trained on the ValueCSV5000 news corpus (the "evaluator") scores each answer; the mean
probability per dimension is the model's value map. See ``../shared/reference/valuecsv.md``.
"""
