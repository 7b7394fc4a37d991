"""relief: what happens when a borrower who has fallen behind asks a lender for relief."""

__version__ = "0.1.0"
