from __future__ import annotations

import pytest

from app.d2_catalog.index import SAMPLE_PRODUCTS, CatalogIndex, Product, tokens


@pytest.fixture
def index() -> CatalogIndex:
    return CatalogIndex(SAMPLE_PRODUCTS)


def test_tokens_fold_accents_and_case() -> None:
    assert tokens("Crème BRÛLÉE, 2x") == ["creme", "brulee", "2x"]


@pytest.mark.smoke
def test_search_by_tag_cheapest_first(index: CatalogIndex) -> None:
    assert [p.sku for p in index.search("coffee")] == ["SKU-101", "SKU-100"]


def test_search_needs_every_word(index: CatalogIndex) -> None:
    assert [p.sku for p in index.search("kitchen creme")] == ["SKU-300"]
    assert index.search("espresso mug") == []


def test_empty_query_finds_nothing(index: CatalogIndex) -> None:
    assert index.search("  ,, ") == []


def test_duplicate_sku_is_rejected(index: CatalogIndex) -> None:
    with pytest.raises(ValueError, match="duplicate sku 'SKU-100'"):
        index.add(Product("SKU-100", "Other", 1))
    assert len(index) == 4


def test_unknown_sku(index: CatalogIndex) -> None:
    with pytest.raises(KeyError, match="unknown sku 'SKU-999'"):
        index.get("SKU-999")
