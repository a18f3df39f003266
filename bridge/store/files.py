"""The mode of every file the store keeps beside its database.

The database, its spool, journal and locks hold customers' plugin output and contacts:
readable by the owner (Icinga's user) and its group (the staff), never by every local user.
"""

FILE_MODE = 0o640
FOLDER_MODE = 0o750
