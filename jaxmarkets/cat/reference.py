"""A plain-Python reference of one market's trading day (ZI-C or truthful
traders), written from the rules rather than from the vectorised code.

Given the same values and the same round draws (`day.day_draws`) it must
produce the JAX game's trades one by one: the same pairs in the same order at
the same prices, the same fees and profits. It is also the "plain loop over
traders" the benchmark compares against.

The book is a dict trader -> (price, placement number). Quotes follow the
4-heap's definition directly: with M standing asks, the ask quote is the M-th
highest standing price and the bid quote the (M+1)-st. Ties: a continuous
market trades with the best opposite shout of the lowest trader index; a call
ranks equal prices by placement time, then trader index.
"""

from __future__ import annotations

import dataclasses

import numpy as np

f32 = np.float32


@dataclasses.dataclass
class DayResult:
    trades: list  # (buyer, seller, price) in execution order
    profit: np.ndarray  # [T] net profit of the day
    income: np.ndarray  # [5] fees collected by kind
    new_shouts: int


@dataclasses.dataclass(frozen=True)
class Market:
    clearing: str = "continuous"  # or "round"
    accepting: str = "quote_beating"  # always, quote_beating, self_beating
    pricing: str = "discriminatory"  # uniform, standing
    k: float = 0.5
    fees: tuple = (0.0, 0.0, 0.0, 0.0, 0.0)


def _pay(amount, balance):
    return f32(min(amount, max(balance, f32(0.0))))


class _Day:
    def __init__(self, values, n_buyers, entitlement, market: Market):
        self.v = np.asarray(values, f32)
        self.nb = n_buyers
        self.e = entitlement
        self.mk = market
        self.fees = [f32(x) for x in market.fees]
        t = self.v.size
        self.book: dict[int, tuple] = {}
        self.remaining = [entitlement] * t
        self.profit = np.zeros(t, f32)
        self.income = np.zeros(5, f32)
        self.trades = []
        self.new_shouts = 0
        self.clock = 0
        for i in range(t):  # registration at the opening (ZI-C does not subscribe)
            paid = _pay(self.fees[0], self.balance(i))
            self.profit[i] -= paid
            self.income[0] += paid

    def buyer(self, i):
        return i < self.nb

    def balance(self, i):
        return f32(self.v[i] * f32(self.e)) + self.profit[i]

    def quotes(self):
        """(bid quote, ask quote): the (M+1)-st and M-th highest standing prices."""
        prices = sorted((p for p, _ in self.book.values()), reverse=True)
        m = sum(1 for i in self.book if not self.buyer(i))
        ask_q = prices[m - 1] if m >= 1 else np.inf
        bid_q = prices[m] if m < len(prices) else -np.inf
        return bid_q, ask_q

    def accepts(self, i, price):
        rule = self.mk.accepting
        if rule == "always":
            return True
        if rule == "self_beating":
            if i not in self.book:
                return True
            own = self.book[i][0]
            return price > own if self.buyer(i) else price < own
        bid_q, ask_q = self.quotes()
        return price >= bid_q if self.buyer(i) else price <= ask_q

    def sides(self):
        bids = sorted((i for i in self.book if self.buyer(i)), key=lambda i: (-self.book[i][0], self.book[i][1], i))
        asks = sorted((i for i in self.book if not self.buyer(i)), key=lambda i: (self.book[i][0], self.book[i][1], i))
        return bids, asks

    def execute(self, b, s, price, traded_round):
        bid, ask = self.book.pop(b)[0], self.book.pop(s)[0]
        for i, shout in ((b, bid), (s, ask)):
            gain = f32(self.v[i] - price) if self.buyer(i) else f32(price - self.v[i])
            balance = self.balance(i) + gain
            t_paid = _pay(self.fees[3], balance)
            p_paid = _pay(self.fees[4] * f32(abs(shout - price)), balance - t_paid)
            self.profit[i] += gain - t_paid - p_paid
            self.income[3] += t_paid
            self.income[4] += p_paid
            self.remaining[i] -= 1
            traded_round.add(i)
        self.trades.append((b, s, float(price)))

    def k_price(self, bid, ask):
        k = f32(self.mk.k)
        return f32(k * bid + (f32(1) - k) * ask)

    def shout(self, i, price, traded_round):
        if not self.accepts(i, price):
            return
        if i not in self.book:
            self.new_shouts += 1
            paid = _pay(self.fees[2], self.balance(i))
            self.profit[i] -= paid
            self.income[2] += paid
        self.book[i] = (price, self.clock)
        self.clock += 1
        if self.mk.clearing != "continuous":
            return
        bids, asks = self.sides()
        if not bids or not asks or self.book[bids[0]][0] < self.book[asks[0]][0]:
            return
        # the arriving shout is the best on its side; its counterpart the best
        # opposite shout of the lowest index
        if self.buyer(i):
            best = self.book[asks[0]][0]
            other = min(j for j in asks if self.book[j][0] == best)
            b, s = i, other
        else:
            best = self.book[bids[0]][0]
            other = min(j for j in bids if self.book[j][0] == best)
            b, s = other, i
        bid, ask = self.book[b][0], self.book[s][0]
        if self.mk.pricing == "standing":
            price = ask if self.buyer(i) else bid
        elif self.mk.pricing == "uniform":
            price = self.uniform_price(bids, asks, 1, bid, ask)
        else:
            price = self.k_price(bid, ask)
        self.execute(b, s, price, traded_round)

    def uniform_price(self, bids, asks, q, bid, ask):
        """k-point of [max(a_q, b_{q+1}), min(a_{q+1}, b_q)], clamped into [ask, bid]."""
        bp = [self.book[j][0] for j in bids] + [-np.inf]
        ap = [self.book[j][0] for j in asks] + [np.inf]
        ask_q = min(ap[q], bp[q - 1])
        bid_q = max(ap[q - 1], bp[q])
        lo, hi = min(ask_q, bid_q), max(ask_q, bid_q)
        p = min(max(self.k_price(bid_q, ask_q), lo), hi)
        return f32(min(max(p, ask), bid))

    def call(self, traded_round):
        bids, asks = self.sides()
        q = 0
        while q < min(len(bids), len(asks)) and self.book[bids[q]][0] >= self.book[asks[q]][0]:
            q += 1
        pairs = []
        for r in range(q):
            b, s = bids[r], asks[r]
            bid, ask = self.book[b][0], self.book[s][0]
            if self.mk.pricing == "uniform":
                price = self.uniform_price(bids, asks, q, bid, ask)
            elif self.mk.pricing == "standing":
                price = bid if self.book[b][1] < self.book[s][1] else ask
            else:
                price = self.k_price(bid, ask)
            pairs.append((b, s, price))
        for b, s, price in pairs:
            self.execute(b, s, price, traded_round)


def zic_price(value, buyer, u, markup, price_cap):
    m = f32(u) * f32(markup)
    if buyer:
        return f32(min(max(value - m, f32(0.0)), value))
    return f32(min(max(value + m, value), f32(price_cap)))


def reference_day(values, n_buyers, entitlement, orders, uniforms, market: Market, *, calls=None,
                  blocks: int = 1, markup: float = 50.0, price_cap: float = 1000.0,
                  truthful: bool = False) -> DayResult:
    """One day of one market. orders, uniforms: [R, slots] from `day.day_draws`;
    calls[r][b]: the clearing house clears after block b of round r."""
    d = _Day(values, n_buyers, entitlement, market)
    t = d.v.size
    orders, uniforms = np.asarray(orders), np.asarray(uniforms)
    rounds, slots = orders.shape
    size = slots // blocks
    for r in range(rounds):
        traded_round: set[int] = set()
        for b in range(blocks):
            for n in range(b * size, (b + 1) * size):
                i = int(orders[r, n])
                if i >= t or d.remaining[i] == 0 or i in traded_round:
                    continue
                price = d.v[i] if truthful else zic_price(d.v[i], d.buyer(i), uniforms[r, n], markup, price_cap)
                d.shout(i, price, traded_round)
            if market.clearing == "round" and calls[r][b]:
                d.call(traded_round)
    return DayResult(d.trades, d.profit, d.income, d.new_shouts)
