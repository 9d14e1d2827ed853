"""Posts, their comments and tags."""

from schemashift import Check, Field, Index, Model


class Post(Model):
    __indexes__ = [Index("author_id", "created_at"), Index("slug", unique=True)]
    __checks__ = [Check("score >= 0", name="score_non_negative")]

    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    title = Field.String(max_length=200, nullable=False)
    slug = Field.String(max_length=200, nullable=False)
    body = Field.Text()
    score = Field.Integer(default=0, nullable=False)
    status = Field.Enum(["draft", "published"], default="draft")
    created_at = Field.DateTime()


class Comment(Model):
    post_id = Field.ForeignKey("Post", on_delete="CASCADE")
    author_id = Field.ForeignKey("User", on_delete="SET NULL", nullable=True)
    body = Field.Text(nullable=False)


class Tag(Model):
    name = Field.String(max_length=50, unique=True, nullable=False)


class PostTag(Model):
    __indexes__ = [Index("post_id", "tag_id", unique=True)]

    post_id = Field.ForeignKey(Post, on_delete="CASCADE")
    tag_id = Field.ForeignKey(Tag, on_delete="CASCADE")
