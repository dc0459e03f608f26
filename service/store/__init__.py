"""The normalized store: SQLAlchemy 2 models, session handling, migrations runner."""
