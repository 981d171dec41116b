-- The Message-ID header of a mirrored mail message, recorded when the
-- bridge delivers it, so that a message the user moved between Maildir
-- folders while the daemon was stopped (a copy with a new file name, as
-- mutt makes) can be paired with the message that left the other folder
-- and carried to the server as a move. Empty for DAV items and for
-- messages without one.
ALTER TABLE item ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
