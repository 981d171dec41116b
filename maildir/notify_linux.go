package maildir

// notifyByDefault: inotify watches a directory with one descriptor and
// reports overflow, so notifications are the default on Linux.
const notifyByDefault = true
