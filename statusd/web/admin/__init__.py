"""The admin dashboard under /admin: users, sessions, CSRF, and the pages of docs/admin.md."""
