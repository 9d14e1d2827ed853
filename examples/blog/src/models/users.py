"""Users of the blog."""

from schemashift import SQL, Field, Model


class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="")
    is_active = Field.Boolean(default=True, nullable=False)
    created_at = Field.DateTime(default=SQL("CURRENT_TIMESTAMP"))
