"""Template mining: group log lines into templates, and turn unknown lines into patterns.

``masking`` hides obvious variables, ``miner`` clusters lines in one streaming pass, ``refine``
merges clusters that turned out to be one template, ``suggest`` writes a ``[[message]]`` for a
template, ``unknown`` runs all of it against the archive, and ``commands`` holds the CLI.
"""
