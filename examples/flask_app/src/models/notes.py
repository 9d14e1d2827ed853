from schemashift import SQL, Field, Model


class Note(Model):  # table "notes"
    title = Field.String(max_length=200, nullable=False)
    body = Field.Text()
    created_at = Field.DateTime(default=SQL("CURRENT_TIMESTAMP"))
