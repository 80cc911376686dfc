"""An in-memory inverted index over product names and tags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price_cents: int
    currency: str = "EUR"
    tags: tuple[str, ...] = ()


def tokens(text: str) -> list[str]:
    """Lowercase ASCII words: 'Crème Brûlée' -> ['creme', 'brulee']."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _WORD.findall(folded.lower())


class CatalogIndex:
    def __init__(self, products: Iterable[Product] = ()) -> None:
        self._products: dict[str, Product] = {}
        self._postings: dict[str, set[str]] = {}
        for product in products:
            self.add(product)

    def add(self, product: Product) -> None:
        if product.sku in self._products:
            raise ValueError(f"duplicate sku {product.sku!r}")
        self._products[product.sku] = product
        for word in {*tokens(product.name), *(t.lower() for t in product.tags)}:
            self._postings.setdefault(word, set()).add(product.sku)

    def get(self, sku: str) -> Product:
        try:
            return self._products[sku]
        except KeyError:
            raise KeyError(f"unknown sku {sku!r}") from None

    def search(self, query: str) -> list[Product]:
        """Products matching every word of `query`, cheapest first, then by sku."""
        words = tokens(query)
        if not words:
            return []
        skus = set.intersection(*(self._postings.get(w, set()) for w in words))
        found = [self._products[sku] for sku in skus]
        return sorted(found, key=lambda p: (p.price_cents, p.sku))

    def __len__(self) -> int:
        return len(self._products)


SAMPLE_PRODUCTS: tuple[Product, ...] = (
    Product("SKU-100", "Espresso beans 1 kg", 2490, tags=("coffee",)),
    Product("SKU-101", "Filter coffee 500 g", 1190, tags=("coffee",)),
    Product("SKU-200", "Ceramic mug", 890, tags=("kitchen",)),
    Product("SKU-300", "Crème brûlée kit", 1550, tags=("dessert", "kitchen")),
)
