from decimal import Decimal

from schemashift import Field, Index, Model


class Product(Model):  # table "products"
    __indexes__ = [Index("sku", unique=True)]

    sku = Field.String(max_length=40, nullable=False)
    name = Field.String(max_length=200, nullable=False)
    price = Field.Decimal(max_digits=10, decimal_places=2, default=Decimal("0.00"))
