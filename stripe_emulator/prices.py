"""Line items, prices and products made from a session's `line_items[].price_data`.

    line_items(store, params_line_items, mode) -> (Checkout "item" objects,
                                                   the recurring price or None, its quantity)
    recurring_price(store, price_data, param)  a subscription item's new price (changes.py)

Each `price_data` becomes an inactive Price (Stripe archives prices made inline) and each
`product_data` a Product, so invoices and subscription items can name them.
"""

from __future__ import annotations

from stripe_emulator import shapes
from stripe_emulator.errors import invalid_param
from stripe_emulator.money import MAX_AMOUNT
from stripe_emulator.state import Json, Store

NEED_PRICE = "stripe_emulator only supports line items with `price_data`."
NEED_PRODUCT = "You must specify either `product` or `product_data` when creating a price."
NEED_AMOUNT = "You must specify either `unit_amount` or `unit_amount_decimal`."
AMOUNT_TOO_LARGE = "This value must be less than or equal to {max} (it currently is '{value}')."
AMOUNT_NOT_POSITIVE = "This value must be greater than or equal to 1."
MIXED_CURRENCIES = "All line items must use the same currency."
RECURRING_IN_PAYMENT = (
    "You specified `payment` mode but passed a recurring price. Either switch to "
    "`subscription` mode or use only one-time prices."
)
NO_RECURRING = (
    "You must provide at least one recurring price in `subscription` mode when using prices."
)
ONE_RECURRING = "stripe_emulator supports one recurring line item per subscription session."


def line_items(store: Store, items: list[Json], mode: str) -> tuple[list[Json], Json | None, int]:
    """Checkout "item" objects, and the recurring price (subscription mode) with its quantity."""
    result: list[Json] = []
    recurring: list[tuple[Json, int]] = []
    for index, item in enumerate(items):
        param = f"line_items[{index}]"
        if "price_data" not in item:
            raise invalid_param(NEED_PRICE, f"{param}[price]")
        price = _price(store, item["price_data"], f"{param}[price_data]")
        quantity = item.get("quantity", 1)
        if quantity < 1:
            raise invalid_param(AMOUNT_NOT_POSITIVE, f"{param}[quantity]")
        if price["recurring"] is not None:
            if mode == "payment":
                raise invalid_param(RECURRING_IN_PAYMENT, f"{param}[price_data][recurring]")
            recurring.append((price, quantity))
        amount = price["unit_amount"] * quantity
        if amount > MAX_AMOUNT:
            raise invalid_param(
                AMOUNT_TOO_LARGE.format(max=MAX_AMOUNT, value=amount), f"{param}[quantity]"
            )
        if result and price["currency"] != result[0]["currency"]:
            raise invalid_param(MIXED_CURRENCIES, f"{param}[price_data][currency]")
        result.append(
            shapes.shape(
                "item",
                amount_discount=0,
                amount_subtotal=amount,
                amount_tax=0,
                amount_total=amount,
                currency=price["currency"],
                description=price["_product_name"],
                price={k: v for k, v in price.items() if not k.startswith("_")},
                quantity=quantity,
                metadata=item.get("metadata", {}),
                adjustable_quantity=None,
            )
        )
    if mode == "subscription" and not recurring:
        raise invalid_param(NO_RECURRING, "line_items")
    if len(recurring) > 1:
        raise invalid_param(ONE_RECURRING, "line_items")
    if not recurring:
        return result, None, 1
    price, quantity = recurring[0]
    return result, {k: v for k, v in price.items() if not k.startswith("_")}, quantity


def recurring_price(store: Store, data: Json, param: str) -> Json:
    """A Price from a subscription item's `price_data`, whose `product` must exist."""
    store.get(data["product"], "product", param=f"{param}[product]")
    price = _price(store, data, param)
    return {k: v for k, v in price.items() if not k.startswith("_")}


def _price(store: Store, data: Json, param: str) -> Json:
    if "unit_amount" in data:
        unit_amount = data["unit_amount"]
    elif "unit_amount_decimal" in data:
        unit_amount = int(data["unit_amount_decimal"])
    else:
        raise invalid_param(NEED_AMOUNT, f"{param}[unit_amount]", "parameter_missing")
    if unit_amount < 1:
        raise invalid_param(AMOUNT_NOT_POSITIVE, f"{param}[unit_amount]")
    if unit_amount > MAX_AMOUNT:
        raise invalid_param(
            AMOUNT_TOO_LARGE.format(max=MAX_AMOUNT, value=unit_amount), f"{param}[unit_amount]"
        )
    product_data = data.get("product_data")
    if product_data is None and "product" not in data:
        raise invalid_param(NEED_PRODUCT, f"{param}[product_data]", "parameter_missing")
    product_id = data.get("product") or _product(store, product_data or {})["id"]
    product_name = (product_data or {}).get("name") or store.objects.get(product_id, {}).get(
        "name", "Item"
    )
    recurring = data.get("recurring")
    price = shapes.shape(
        "price",
        id=shapes.new_id("price"),
        currency=data["currency"].lower(),
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
        product=product_id,
        created=store.now(),
        type="one_time" if recurring is None else "recurring",
        recurring=None if recurring is None else _recurring(recurring),
        tax_behavior=data.get("tax_behavior", "unspecified"),
        transform_quantity=None,
        active=False,  # prices made from price_data are archived at once, as in Stripe
    )
    store.add(price)
    return {**price, "_product_name": product_name}


def _recurring(data: Json) -> Json:
    return {
        "interval": data["interval"],
        "interval_count": data.get("interval_count", 1),
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def _product(store: Store, data: Json) -> Json:
    return store.add(
        shapes.shape(
            "product",
            id=shapes.new_id("prod"),
            name=data.get("name", "Item"),
            description=data.get("description"),
            metadata=data.get("metadata", {}),
            images=data.get("images", []),
            default_price=None,
            package_dimensions=None,
            created=store.now(),
            updated=store.now(),
            type="service",
        )
    )
