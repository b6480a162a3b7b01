"""Outputs of a built graph: the build's files, CI reports (SARIF, JUnit), the researcher report, and exports."""
