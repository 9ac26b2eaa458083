"""Multilingual cue words (en, es, zh, pt, fr) behind the classifier's hand-made signals.

One table serves three uses: the cues are extra features of the category model (they carry
what we know about languages with few training rows), the sub-intent rules, and the
sentiment / urgency / lead-score signals. Terms are matched on folded text (lower case,
accents stripped: write "cuanto", not "cuánto"). A Latin term matches whole words; a
trailing ``*`` makes it a prefix ("decepcion*" matches "decepcionada"). Chinese terms match
anywhere. Add words here rather than special cases in code.
"""

from __future__ import annotations

# fmt: off
CUES: dict[str, tuple[str, ...]] = {
    # --- sentiment -----------------------------------------------------------------------
    "positive": (
        "love", "loved", "lovely", "great", "amazing", "awesome", "excellent", "perfect*",
        "beautiful", "gorgeous", "delicious", "best", "fantastic", "recommend*", "happy",
        "satisfied", "obsessed", "top notch", "worth", "impressed", "wonderful", "5 stars",
        "encanta*", "encanto", "excelente", "perfect*", "hermos*", "precios*", "bonit*",
        "delicios*", "rico", "mejor*", "recomend*", "feliz", "content*", "increible",
        "maravill*", "divin*", "buenisim*", "genial", "calidad de primera",
        "amei", "adorei", "otim*", "maravilhos*", "lind*", "recomendo", "nota 10",
        "adore", "parfait*", "super", "genia*", "magnifique", "ravi*", "recommande",
        "喜欢", "满意", "好评", "很好", "超赞", "棒", "赞", "推荐", "完美", "好看", "好吃",
        "漂亮", "精美", "惊喜", "靠谱", "物超所值", "爱了", "开心", "舒服", "贴心", "用心",
        "不错", "回购", "一流", "感动",
        # Review vocabulary (long product, hotel, book and film reviews).
        "encantad*", "estupend*", "comodisim*", "sorprendid*", "imprescindible*",
        "volveremos", "volveria", "recomiend*", "satisfech*", "muy buen*", "merece la pena",
        "vale la pena", "una joya", "well made", "exceeded", "highly", "buy again",
        "volveria a comprar", "再买", "还会买",
        "好用", "值得", "性价比", "干净", "方便", "周到",
        # Not "no problem", "no complaints", "sin problema", "没问题": those acknowledge
        # ("no problem, send me the invoice", "没问题，发货吧") or lead into a complaint ("no
        # complaints about price but shipping took 6 weeks"). Their negator only cancels
        # the negative word; praise needs a word of its own ("No problem, great service").
    ),
    "thanks": (
        "thanks", "thank", "thx", "ty", "appreciate*", "gracias", "agradez*", "obrigad*",
        "merci", "谢谢", "感谢", "多谢", "谢啦",
    ),
    "negative": (
        "broken", "broke", "damaged", "defective", "cracked", "shattered", "leaked", "late",
        "never", "worst", "terrible", "awful", "horrible", "disappoint*", "unacceptable",
        "scam", "fraud", "rude", "useless", "poor", "bad", "cheap", "ridiculous", "wrong",
        "missing", "frustrat*", "angry", "furious", "refund*", "money back", "complain*",
        "not happy", "fell apart", "faded", "stale", "theft", "chargeback", "excuses",
        "roto", "rota", "dañad*", "defectuos*", "quebrad*", "estrellad*", "tarde", "nunca",
        "pesim*", "horribl*", "decepcion*", "inaceptable", "estafa*", "fraude", "grosero*",
        "malo", "mala", "equivocad*", "falta", "molest*", "enojad*", "harta*", "harto",
        "reembols*", "devuelvan*", "queja", "reclam*", "robo", "vergüenza", "verguenza",
        "quebrado", "quebrou", "pessim*", "golpe", "decepcao", "grosseria", "defeito",
        "casse", "arnaque", "nul", "decevant*", "deception", "inadmissible", "rembours*",
        "defectueux", "impoli*",
        "差", "坏", "破损", "碎", "裂", "漏", "退款", "退钱", "投诉", "骗", "垃圾", "失望",
        "生气", "气死", "太慢", "没收到", "还没到", "不发货", "发错", "少发", "离谱", "过分",
        "不像话", "恶劣", "差评", "难闻", "掉色", "掉漆", "开胶", "粗糙", "虚假", "拉黑",
        "不理", "没人", "抢钱", "不行", "烂",
        "aburrid*", "previsible", "arrepient*", "dinero tirado", "averia*", "se rompio",
        "se estropeo", "no funciona", "no funcionaba", "ni contesta*", "peor",
        "waste of money", "stopped working", "regret", "returning it",
        "flaking", "keeps crashing", "soaked through", "run small", "runs small",
        "后悔", "坑", "别买", "不值", "不推荐", "一般般", "没法", "退货",
    ),
    "anger": (
        "scam", "fraud", "theft", "chargeback", "lawyer", "police", "report you", "worst",
        "unacceptable", "ridiculous", "never again", "manager",
        "estafa*", "fraude", "robo", "denunci*", "profeco", "abogado", "policia", "inaceptable",
        "golpe", "procon", "arnaque", "inadmissible",
        "骗子", "投诉", "12315", "报警", "律师", "太过分", "气死", "抢钱", "不像话",
    ),
    "reproach": (
        "why hasn't", "why isn't", "why is my", "why did you", "why does nobody", "how much longer",
        "why did nobody", "why didn't", "why has nobody", "why wasn't",
        "how many times", "unbelievable", "is this a joke", "por que no", "por que mi",
        "por que me", "por que nadie", "por que cancelaron", "hasta cuando", "cuanto mas",
        "cuantas veces", "increible", "es en serio", "por que tarda", "pourquoi", "por que",
        "为什么", "怎么还", "凭什么", "到底", "还要等多久", "多少遍", "难以置信",
        "ya me canse", "me canse", "estoy harta", "estoy harto", "受够了",
    ),
    # --- urgency -------------------------------------------------------------------------
    "urgent": (
        "urgent*", "asap", "immediately", "right away", "emergency", "hurry", "deadline",
        "urgente*", "ya mismo", "inmediat*", "cuanto antes", "lo antes posible", "urgencia",
        "o mais rapido", "tout de suite", "immediatement",
        "急", "尽快", "马上", "赶紧", "立刻", "立即", "加急",
    ),
    "soon": (
        "today", "tomorrow", "tonight", "now", "hoy", "manana", "hoy mismo", "ahora",
        "hoje", "agora", "amanha", "aujourd'hui", "demain", "今天", "明天", "今晚", "现在",
    ),
    # --- spam ----------------------------------------------------------------------------
    "phishing": (
        "verify", "verification", "suspended", "restricted", "disabled", "flagged", "login",
        "log in", "password", "unusual", "security alert", "6 digit code", "appeal",
        "redelivery", "on hold", "update your", "confirm your", "expires",
        "verifica*", "suspendid*", "bloquead*", "restringid*", "contrasena", "inicio de sesion",
        "codigo", "retenid*", "actualiza*", "confirma tu", "sera eliminada", "sera cerrada",
        "confirme seu", "bloqueado", "senha", "retida", "verifiez", "suspendu", "bloquee",
        "验证", "冻结", "认证", "申诉", "异常", "封禁", "违规", "验证码", "补缴", "失效",
        "密码", "异地登录", "理赔", "征信", "清零",
        "limited", "limitada", "eligible", "verified badge", "restablecer*", "restore access",
    ),
    "crypto": (
        "bitcoin", "btc", "crypto*", "usdt", "forex", "invest*", "profit*", "trading",
        "signals", "token", "airdrop", "wallet", "mining", "returns", "passive income",
        "binary options", "portfolio", "1000x", "double your money",
        "invier*", "inversion*", "criptomoneda*", "cripto", "ganancias", "rentabilidad",
        "mineria", "billetera", "senales", "ingresos pasivos", "invista", "investir",
        "币", "投资", "收益", "理财", "稳赚", "带单", "空投", "钱包", "挖矿", "喊单", "炒",
        "外汇", "回报", "翻倍", "牛股", "财务自由",
    ),
    "prize": (
        "winner", "won", "win", "prize", "lottery", "giveaway", "raffle", "lucky",
        "congratulations", "congrats", "gift card", "claim", "reward", "selected",
        "ganador", "ganaste", "premio", "premiado", "sorteo", "loteria", "felicidades",
        "felicitaciones", "reclama*", "tarjeta regalo", "ganhou", "sorteio", "premio",
        "parabens", "gagne", "felicitations", "concours",
        "中奖", "恭喜", "领取", "抽奖", "奖金", "大奖", "幸运", "获得", "礼包", "购物卡",
        "gana", "gana un", "regalo", "regalos", "gift", "free gift", "免费送", "送礼品", "免费领",
    ),
    "job": (
        "work from home", "hiring", "part-time", "part time", "extra income", "be your own boss",
        "earn", "per day", "a day", "daily", "no experience", "get paid",
        "trabaja desde casa", "trabajo", "empleo", "ingresos extra", "dinero extra",
        "gana dinero", "diarios", "sin experiencia", "trabalhe", "renda extra", "ganhe",
        "travaillez", "par jour",
        "兼职", "刷单", "日赚", "日结", "招聘", "月入", "副业", "宝妈", "在家",
    ),
    "promo": (
        "sale", "off", "deal", "deals", "discount", "cheap", "free", "casino", "bonus",
        "loan", "replica", "referral", "link in bio", "click", "dm me", "whatsapp me",
        "oferta", "descuento", "barat*", "gratis", "bono", "prestamo*", "replica",
        "link en", "enlace", "escribeme", "emprestimo", "gratuit", "pret",
        "折", "特价", "清仓", "贷款", "赌场", "娱乐城", "高仿", "代开", "免费", "优惠券",
        "点击", "链接", "加微信", "加v", "私聊", "私信", "网址", "红包",
    ),
    "follow": (
        "follow", "follow back", "f4f", "l4l", "sub4sub", "subscribe", "subs", "followers",
        "likes", "shoutout", "my channel", "my page", "my profile", "check out my",
        "sigueme", "seguidores", "te sigo", "suscrib*", "mi perfil", "mi canal",
        "me segue", "sigo de volta", "seguidores", "inscrevam*", "meu perfil",
        "abonne*", "abonnes", "mon profil",
        "互粉", "互赞", "回关", "关注", "涨粉", "粉丝", "主页", "点赞",
        "dale like", "un like", "devuelvo el favor", "like for like", "curtida*",
    ),
    "seo": (
        "seo", "backlink*", "guest post*", "rank", "ranking", "first page", "google",
        "traffic", "website", "web developer", "agency", "ads management", "lead generation",
        "posicion*", "primera pagina", "trafico", "pagina web", "agencia", "marketing",
        "primeira pagina", "premiere page", "referencement",
        "优化", "排名", "首页", "外链", "软文", "引流", "代运营", "流量", "推广", "营销",
        "buy followers", "buy likes", "real followers", "grow your page", "comprar seguidores",
        "seguidores reales", "aumenta tus seguidores", "代刷", "刷粉", "涨粉",
    ),
    # --- a customer talking to the bot's instructions ("ignore your rules, 90% off") ------
    # Not spam: it is a customer, usually after a discount (see rules.category).
    "manipulation": (
        "ignore your instructions", "ignore your rules", "ignore your previous",
        "ignore previous instructions", "ignore all previous", "ignore the above",
        "ignore all instructions", "ignore all rules", "ignore your programming",
        "ignore the rules", "disregard your", "disregard previous", "disregard all previous",
        "forget your instructions", "forget your rules", "forget everything above",
        "forget all previous", "forget previous instructions", "system prompt",
        "enable developer mode", "developer mode enabled", "developer mode activated",
        "jailbreak", "from now on you are", "pretend you are", "act as the owner",
        "admin override", "system override",
        "ignora tus instrucciones", "ignora las instrucciones", "ignora tus reglas",
        "ignora las reglas", "ignora todo lo anterior", "ignora lo anterior",
        "olvida tus instrucciones", "olvida las instrucciones", "olvida tus reglas",
        "olvida las reglas", "olvida todo lo anterior", "olvida lo anterior",
        "modo desarrollador activado", "activa el modo desarrollador", "finge que eres",
        "haz de cuenta que eres", "prompt del sistema", "instrucciones del sistema",
        "ignore suas instrucoes", "ignore as regras", "esqueca as regras",
        "ignore tes instructions", "ignorez vos instructions", "oublie tes instructions",
        "oubliez vos instructions",
        "忽略之前", "忽略以上", "忽略上面", "忽略你的", "忽略所有", "忽略规则", "忽略指令",
        "忘掉你的", "忘记你的", "忘掉之前", "忘记之前", "忘记所有", "无视之前", "无视你的",
        "无视规则", "系统提示", "进入开发者模式", "开启开发者模式", "从现在开始你是", "假装你是",
    ),
    # --- buying --------------------------------------------------------------------------
    "purchase": (
        "i want", "i'd like", "i would like", "i'll take", "i will take", "order", "ordering",
        "buy", "purchase", "book", "reserve", "put me down", "count me in", "take my order",
        "add", "send me", "we need", "i need", "sign me up", "place an order", "bulk",
        "wholesale", "reseller", "stock your", "next step", "how do i pay", "payment link",
        "quiero", "quisiera", "pedir", "pedido", "comprar", "compro", "me lo llevo",
        "me llevo", "apartame", "apartar", "reservar", "anotame", "mandame", "envienme",
        "necesito", "necesitamos", "al por mayor", "mayoreo", "distribuidor*", "adquirir",
        "como pago", "como lo compro", "deseo", "vendeme", "vendanme",
        "quero", "comprar", "encomendar", "pedido", "vou levar", "vou querer", "fechado",
        "je voudrais", "je veux", "commander", "commande", "je prends", "j'en prends",
        "我要", "我想要", "想买", "要买", "下单", "拍下", "拍了", "采购", "进货", "拿货",
        "来两", "来三", "给我来", "帮我留", "留一个", "定金", "代理", "怎么买", "怎么付款",
        "订购", "预订", "订货", "我订", "先订", "要订", "想订", "就订", "订一", "订两", "订个",
        "付款链接", "收款", "转账",
    ),
    "quote": (
        "quote", "quotation", "proforma", "pi", "invoice", "price list", "best price",
        "wholesale price", "fob", "cif", "exw",
        "cotiza*", "cotizacion", "presupuesto", "proforma", "factura", "lista de precios",
        "precio por mayor", "orcamento", "fatura", "devis", "facture",
        "报价", "报个价", "形式发票", "发票", "价格表", "价目表", "批发价", "账单",
    ),
    "moq": (
        "moq", "minimum order", "minimum", "min order", "pedido minimo", "minimo",
        "cantidad minima", "pedido minimo", "quantite minimum", "起订", "最少", "最低数量",
        "wholesale only", "single pieces", "only wholesale", "solo al por mayor", "por pieza",
        "零售", "只批发",
        "min qty", "minimum qty", "compra minima", "quantidade minima", "最低订量",
    ),
    "sample": (
        "sample*", "muestra", "muestras", "amostra*", "echantillon*", "样品", "样板",
    ),
    # --- what a question (or complaint) is about ----------------------------------------
    "price": (
        "price", "prices", "pricing", "how much", "cost", "costs", "precio*", "cuanto",
        "cuesta", "vale", "preco", "quanto", "custa", "prix", "combien",
        "多少钱", "价格", "价钱", "怎么卖", "什么价", "价",
        "a como", "a cuanto", "en cuanto",
    ),
    "shipping": (
        "ship", "shipping", "shipped", "deliver*", "courier", "freight", "pick it up",
        "pickup", "envio*", "envian", "enviar", "entrega*", "paqueteria", "domicilio",
        "recoger", "frete", "entrega", "correios", "livr*", "expedi*",
        "运费", "发货", "快递", "物流", "包邮", "寄", "送到", "自提", "几天到", "发到",
        "空运", "海运", "陆运", "运到", "顺丰", "到货", "air freight", "sea freight",
        "envio aereo", "envio maritimo", "por barco",
        # Export trade: what a buyer abroad asks before ordering.
        "ship to", "lead time", "customs", "duties", "import duty", "hs code", "incoterm*",
        "ddp", "aduana*", "arancel*", "plazo de entrega", "alfandega", "douane*",
        "交期", "货期", "清关", "关税", "海关", "报关",
    ),
    "availability": (
        "available", "availability", "in stock", "back in stock", "do you have", "still have",
        "sold out", "disponible*", "stock", "hay en", "tienes", "tienen", "todavia tienes",
        "aun tienen", "disponivel", "tem no", "tem na", "vous l'avez", "il existe",
        "有货", "现货", "库存", "补货", "还有吗", "有没有", "上新", "有红色", "有其他",
    ),
    "order_status": (
        "my order", "tracking", "track", "shipped yet", "has my order", "where is my",
        "mi pedido", "mi compra", "mi paquete", "numero de guia", "seguimiento",
        "meu pedido", "ma commande", "mon colis",
        "我的订单", "订单", "快递单号", "单号", "发货了吗", "到哪",
    ),
    "payment": (
        "pay", "paying", "payment", "paypal", "card", "credit card", "bank transfer",
        "installments", "cash on delivery", "charged", "pago", "pagar", "tarjeta",
        "transferencia", "meses sin intereses", "contra entrega", "mercado pago", "oxxo",
        "bizum", "efectivo", "cobraron", "pix", "cartao", "paiement", "payer", "carte",
        "付款", "支付", "支付宝", "微信支付", "信用卡", "分期", "货到付款", "扣了", "转账",
    ),
    "refund": (
        "refund*", "money back", "return", "returns", "exchange", "reembols*", "devolucion*",
        "devolver", "devuelvan*", "cambiar", "cambio", "reembolso", "troca", "devolvi",
        "rembours*", "retour", "退款", "退货", "退钱", "换货", "换", "退",
    ),
    "specs": (
        "size", "sizes", "dimension*", "material", "cotton", "waterproof", "weight", "watts",
        "volt*", "220v", "color", "colour", "run small", "medidas", "tamano", "talla",
        "algodon", "impermeable", "peso", "material", "tamanho", "matiere", "taille",
        "尺寸", "尺码", "材质", "纯棉", "防水", "重量", "功率", "规格", "多大", "颜色",
        "dishwasher", "microwave", "lavavajillas", "microondas", "洗碗机", "微波炉",
        # Made to the buyer's order: their logo, their brand, their packaging.
        "oem", "odm", "logo", "private label", "customiz*", "customis*", "personaliz*",
        "贴牌", "定制", "代工",
    ),
    "damaged": (
        "broken", "broke", "damaged", "defective", "cracked", "shattered", "leaked",
        "doesn't turn on", "doesnt turn on", "smashed", "roto", "rota", "danad*",
        "defectuos*", "quebrad*", "estrellad*", "no enciende", "aplastad*", "quebrado",
        "defeito", "casse", "defectueux",
        "坏", "碎", "裂", "破损", "漏", "压扁", "压坏", "断了", "通不了电",
        "stain*", "hole", "manchad*", "agujero", "hoyo", "rasgad*", "torn", "污渍", "洞", "破了",
    ),
    "late": (
        "late", "still waiting", "still nothing", "hasn't arrived", "never came",
        "not arrived", "still not here", "hasn't moved", "hasn't even shipped",
        "todavia nada", "no ha llegado", "no llega", "sigo esperando", "nunca llego",
        "tarde", "ni siquiera ha salido", "ate agora nada", "toujours rien",
        "还没到", "没收到", "还没收到", "没到", "晚了", "还没发货", "不发货", "没发出", "等了",
        "no me ha llegado", "no me llega", "no me llego", "not here yet", "ainda nao chegou",
    ),
    "wrong_item": (
        "wrong size", "wrong item", "wrong color", "not the color", "someone else's",
        "missing", "equivocad*", "otra persona", "falta", "tamanho errado",
        "mauvaise taille", "发错", "少发", "不一样", "别人的", "只到了", "只收到",
    ),
    "service": (
        "customer service", "service", "reply", "answer*", "nobody", "no one", "rude",
        "ignor*", "waiting for a reply", "manager", "called", "blocked",
        "atencion", "servicio", "nadie", "contesta*", "respuesta", "grosero*", "visto",
        "encargado", "bloquearon", "llame", "atendimento", "ninguem", "service client",
        "personne", "客服", "没人", "回复", "态度", "不理", "不回", "拉黑", "电话", "负责人",
        "服务",
    ),
    # --- small talk ----------------------------------------------------------------------
    "greeting": (
        "hi", "hello", "hey", "good morning", "good afternoon", "good night", "hola",
        "buenos dias", "buenas", "buenas tardes", "buenas noches", "oi", "ola", "bom dia",
        "boa tarde", "bonjour", "salut", "bonsoir", "你好", "您好", "早上好", "下午好",
        "晚上好", "在吗", "在不在", "哈喽",
    ),
    "acknowledge": (
        "ok", "okay", "k", "sure", "got it", "noted", "alright", "vale", "va", "sale",
        "de acuerdo", "entendido", "perfecto", "listo", "beleza", "ta bom", "d'accord",
        "好的", "嗯", "嗯嗯", "收到", "知道了", "行", "哦哦", "ok",
    ),
    "farewell": (
        "bye", "see you", "talk later", "adios", "nos vemos", "hasta luego", "chao",
        "tchau", "a plus", "拜拜", "再见", "晚安",
        "que descanses", "good night", "回头聊", "下次聊", "bonne nuit",
    ),
    "laugh": ("haha*", "lol", "jaja*", "kkk*", "mdr", "哈哈"),
    "question_word": (
        "how", "what", "when", "where", "which", "why", "do you", "does it", "is it",
        "what's", "whats", "who", "where's", "how's",
        "can i", "are you", "is there", "que", "como", "cuando", "donde", "cual", "hay",
        "puedo", "quanto", "qual", "quando", "onde", "est-ce", "quel", "quelle",
        "吗", "呢", "什么", "怎么", "几", "哪", "是否", "能不能", "可以",
        # How long / roughly: "空运到新加坡大概几天" asks, though it has no "吗". The "A不A"
        # questions ("支不支持", "大不大") are counted by a pattern in signals.py.
        "多久", "多长时间", "多少天", "大概", "请问",
    ),
}
# fmt: on

# Cues only the rules read (not columns of the category model: a new column would change the
# model's input width and strand every saved model).
# fmt: off
RULE_CUES: dict[str, tuple[str, ...]] = {
    # A trader introducing their business (a distributor, a shop that wants to stock the
    # product): with only their own website as a link, that is a lead, not spam.
    "business": (
        "distribute", "distributor*", "distribution", "wholesale", "reseller", "resell",
        "importer", "we import", "stock your", "carry your", "trade terms", "retailer",
        "distribu*", "mayoreo", "al por mayor", "mayorista*", "importador*", "importamos",
        "revender", "revendedor*", "representamos", "nuestra tienda", "distribuimos",
        "atacado", "revendedor", "grossiste", "revendeur",
        "代理", "采购", "批发", "进货", "经销", "分销", "进口商", "拿货",
    ),
    # A trader asking to buy from THIS shop: its products, its catalog, its prices. (Whole
    # phrases: a "*" prefix matches one word only.) Seller words alone ("distributor",
    # "wholesale", "代理", "批发", "诚招") are what a supplier pitching its own goods says
    # too, so they are not a buyer's (see rules.business_lead).
    "buyer_intent": (
        "interested in your", "stock your", "carry your", "distribute your", "resell your",
        "import your", "of your products", "buy from you", "order from you",
        "purchase from you", "source from you", "your catalog", "your catalogue",
        "your price list", "your wholesale price", "your wholesale prices",
        "your trade prices", "be your distributor", "become your distributor",
        "be your reseller", "become your reseller", "nos interesa", "interesados en sus",
        "distribuir su", "distribuir sus", "comprarles", "de sus productos", "su catalogo",
        "su lista de precios", "ser su distribuidor", "queremos comprar",
        "quisieramos comprar", "queremos importar",
        "想代理你们", "代理你们", "采购你们", "想采购", "想进货", "想拿货", "想订购",
        "对你们的产品", "对贵司", "成为你们的代理",
    ),
    # Words only a trade buyer uses ("MOQ?", "FOB?", "lead time?", "OEM?", "HS code?"): a
    # question that names one is a question, however short (see rules.category).
    "trade_word": (
        "moq", "minimum order", "min order", "min qty", "fob", "cif", "exw", "ddp", "incoterm*",
        "lead time", "production time", "oem", "odm", "hs code", "customs", "import duty",
        "duties", "tariff*", "private label", "sample*", "pedido minimo", "cantidad minima",
        "compra minima", "muestra", "muestras", "aduana*", "arancel*", "plazo de entrega",
        "tiempo de produccion", "amostra*", "quantidade minima", "alfandega", "echantillon*",
        "douane*", "起订", "最低订量", "样品", "交期", "货期", "清关", "关税", "海关", "报关",
        "贴牌", "代工", "hs编码", "certificate of origin", "codigo hs",
    ),
    # Question sub-intents of export trade (the rest are the CUES of the same name).
    "lead_time": (
        "lead time", "production time", "turnaround", "how long to produce",
        "how long does production", "plazo de entrega", "tiempo de produccion",
        "tiempo de fabricacion", "prazo de entrega", "delai*", "交期", "货期", "生产周期",
    ),
    "trade_terms": (
        "customs", "duty", "duties", "import duty", "import tax*", "tariff*", "hs code",
        "incoterm*", "ddp", "certificate of origin", "which port", "port of loading",
        "aduana*", "arancel*", "impuestos de importacion", "codigo hs", "certificado de origen",
        "alfandega", "douane*", "清关", "关税", "海关", "报关", "hs编码", "原产地",
    ),
    # A price on trade terms ("CIF Hamburg?"): the question is what it costs delivered so.
    "incoterm": ("fob", "cif", "exw", "cfr", "fca", "dap"),
    "customization": (
        "oem", "odm", "logo", "private label", "custom packaging", "customiz*", "customis*",
        "personaliz*", "our brand", "my brand", "nuestra marca", "mi marca", "贴牌", "定制",
        "代工", "印logo",
    ),
    # A scam's promotion: somewhere to click or someone to contact, or what is sold there.
    # Discount words ("off", "descuento", "折") are not here: a customer says them too.
    "contact_promo": (
        "casino", "bonus", "free spins", "loan", "loans", "replica", "replicas", "referral",
        "link in bio", "click", "click here", "dm me", "whatsapp me", "text me",
        "bono", "prestamo*", "link en", "enlace", "escribeme", "emprestimo*",
        "贷款", "赌场", "娱乐城", "高仿", "代开", "点击", "链接", "加微信", "加v", "私聊",
        "私信", "网址", "红包",
    ),
}
# fmt: on
