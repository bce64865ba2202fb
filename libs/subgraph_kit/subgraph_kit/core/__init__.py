"""What a domain may import: errors, commands, events, the outbox port, the unit of work.

Standard library and pydantic only, so the services' `domain/` packages stay pure.
"""
