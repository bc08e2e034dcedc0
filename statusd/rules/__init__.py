"""Service definitions, the pattern compiler, the shipped library and the rule engine."""
