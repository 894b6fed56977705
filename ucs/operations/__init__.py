"""What UCS does to files and uploads, one database transaction per operation with the store calls around
it: registration (registering a file, starting its upload), completion, life_cycle (every status change,
cancels, failures, verdicts), cleanup (abandoned uploads), consumer (applying consumed events); status_changes (what they report).

Operations take the acting subject explicitly and never read the request. The API and the commands import
them; they import the events, the database and the domain, never the API or Flask (.importlinter).
"""
