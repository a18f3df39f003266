"""One function per use case: ``with uow:`` read, let the domain decide, write, commit,
return a value. No SQL (the store's repository has it), no printing (the entry points do).
"""
