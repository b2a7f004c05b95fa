"""Protocol presets: exact integer twins of real deployed protocols (rule sets other than ``generic``)."""
