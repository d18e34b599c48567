"""An amount of money in Chinese capitals (大写金额), as on a 发票 or a 报价单.

Capitals are written on financial documents because a stroke cannot turn
壹 into 柒 as one turns 1 into 7; so the wording follows fixed rules, those of
the People's Bank of China's 《支付结算办法》 annex 《正确填写票据和结算凭证的基本
规定》. `capitals` follows them, and where they allow two spellings it picks one:

- "中文大写金额数字到'元'为止的，在'元'之后，应写'整'（或'正'）字；在'角'之后，
  可以不写'整'字。大写金额数字有'分'的，'分'后面不写'整'字。"
  So 1234.00 is 壹仟贰佰叁拾肆元整 (整, never 正), 1234.50 is 壹仟贰佰叁拾肆元伍角
  (no 整 after 角: the rule makes it optional, and leaving it out gives every
  amount a single spelling), 1234.56 is 壹仟贰佰叁拾肆元伍角陆分.
- "阿拉伯数字中间有'0'时，中文大写金额要写'零'字" and "中间连续有几个'0'时，中文大写
  金额中间可以只写一个'零'字": a run of zeros inside the number is one 零
  (1001 元: 壹仟零壹元; 100,000,010 元: 壹亿零壹拾元), zeros at the end of the yuan
  are none (1000 元: 壹仟元).
- "万位或元位是'0'……但千位、角位不是'0'时，中文大写金额中可以只写一个'零'字，
  也可以不写'零'字": we write none, as the number is read aloud — 101,000 元 is
  壹拾万壹仟元整, 10.50 元 is 壹拾元伍角. Zeros before a group of four that does
  not start with its 仟 do get their 零, as read aloud too: 100,010,000 元 is
  壹亿零壹万元整, 1,000,100 元 is 壹佰万零壹佰元整.
- 角 is zero and 分 is not: 零 between them when there are yuan (1.05: 壹元零伍分;
  1000.05: 壹仟元零伍分), nothing when there are none (0.05: 伍分; 0.50: 伍角).
- 拾 always has its digit: 10 元 is 壹拾元整, 100,000 元 is 壹拾万元整, never a
  bare 拾 (the banks' practice, as the regulation writes 壹拾 for its dates: a
  bare 拾 at the front leaves room to add a digit before it).
- Zero is 零元整; a negative amount (a credit) gets 负 in front.

The units go up to 万亿 (10^12 yuan): 1,0000,0000,0000 元 is 壹万亿元整 and
1,2345,0000,0000 元 is 壹万贰仟叁佰肆拾伍亿元整, the 万 of the top group sharing
the 亿 of the next as Chinese numbers do. Amounts up to but not including
10^16 yuan (10^18 cents) are written; larger ones raise ValueError.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
#: the places inside a group of four digits, from the 个 place up
PLACES = ("", "拾", "佰", "仟")
#: the groups of four from the lowest: 元, 万, 亿, then 万 (of 亿: 万亿)
GROUPS = ("", "万", "亿", "万")
#: |cents| must stay under this: 10^16 yuan
LIMIT = 10**18


def capitals(cents: int) -> str:
    """`cents` (integer fen) in Chinese capitals: 123450 -> 壹仟贰佰叁拾肆元伍角.

    See the module's docstring for the rules and the choices made where the
    regulation allows two spellings.
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"capitals() takes integer cents, not {type(cents).__name__}")
    if abs(cents) >= LIMIT:
        raise ValueError(f"{cents} cents is beyond 万亿 (the most is {LIMIT - 1})")
    sign = "负" if cents < 0 else ""
    yuan, fen_part = divmod(abs(cents), 100)
    jiao, fen = divmod(fen_part, 10)
    if yuan == 0 and fen_part == 0:
        return "零元整"
    text = _yuan(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    elif not jiao:
        text += "整"
    return sign + text


def _yuan(yuan: int) -> str:
    """A whole number of yuan (0 < yuan < 10^16) in capitals, without the 元.

    Group by group of four digits from the top: a group of zeros, or zeros
    before a group's first digit, leave one 零 owed, written only when a digit
    follows; zeros at the end of a group are silent.
    """
    groups = [(yuan // 10 ** (4 * i)) % 10_000 for i in range(len(GROUPS))]
    out: list[str] = []
    owed = False  # zeros were passed since the last digit written
    for i in reversed(range(len(GROUPS))):
        group = groups[i]
        if group == 0:
            owed = bool(out)
            continue
        if out and (owed or group < 1000):
            out.append("零")
        out.append(_group(group))
        # the 万 of 万亿 takes the 亿 along when the 亿 group is empty
        out.append(GROUPS[i] + ("亿" if i == 3 and groups[2] == 0 else ""))
        owed = False
    return "".join(out)


def _group(group: int) -> str:
    """A group of four digits (1..9999) in capitals with its places: 1010 -> 壹仟零壹拾."""
    out: list[str] = []
    zero = False
    for place in reversed(range(4)):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(out)  # a zero after a digit: 零 when another digit follows
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[digit] + PLACES[place])
    return "".join(out)
