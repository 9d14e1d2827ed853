"""The command line: argparse entry, one thin module per verb, output formatting."""
