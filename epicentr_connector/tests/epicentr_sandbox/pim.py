"""Epicentr's product vocabulary (PIM) as the Merchant API serves it: the category tree, the
attribute sets of its leaf categories and the options of their select attributes.

GET /v2/pim/categories (filter[hasChild]), /v2/pim/attribute-sets (filter[codes][]) and
/v2/pim/attribute-sets/{set}/attributes/{attribute}/options answer pages of PAGE_SIZE items
{page, pages, items} (query `page`, 1-based; past the last page: no items). An unknown
filter is a 400, an unknown set or attribute a 404; an attribute without options (a number,
a text) has an empty list. Titles are in "ua" and "ru".

A small tree of what the sandbox's orders sell (catalogue.py): ten roots, two middle
categories, leaves with one attribute set each (its code differs from the category's, as a
client that mixes them up must fail), one leaf closed to sellers (`deleted`). Every set has
`color` (the same options everywhere, more than a page of them) and a few attributes of its
own, at least one of them a required select. CATALOGUE_CATEGORY puts every catalogue sku in
its leaf; CATALOGUE_PARAMS gives the values of the sku's required attributes (what a valid
feed offer needs).
"""
import math

from .catalogue import CATALOGUE
from .errors import ApiError
from .params import parse_int

PAGE_SIZE = 20
LANGS = ("ua", "ru")

# option code: (ua, ru); the colours are every set's `color` options
_COLOURS = {
    "black": ("Чорний", "Черный"), "white": ("Білий", "Белый"), "grey": ("Сірий", "Серый"),
    "dark_grey": ("Темно-сірий", "Темно-серый"), "red": ("Червоний", "Красный"),
    "burgundy": ("Бордовий", "Бордовый"), "blue": ("Синій", "Синий"),
    "light_blue": ("Блакитний", "Голубой"), "green": ("Зелений", "Зеленый"),
    "olive": ("Оливковий", "Оливковый"), "yellow": ("Жовтий", "Желтый"),
    "orange": ("Помаранчевий", "Оранжевый"), "brown": ("Коричневий", "Коричневый"),
    "beige": ("Бежевий", "Бежевый"), "silver": ("Сріблястий", "Серебристый"),
    "gold": ("Золотистий", "Золотистый"), "pink": ("Рожевий", "Розовый"),
    "purple": ("Фіолетовий", "Фиолетовый"), "turquoise": ("Бірюзовий", "Бирюзовый"),
    "graphite": ("Графітовий", "Графитовый"), "transparent": ("Прозорий", "Прозрачный"),
    "multicolor": ("Різнокольоровий", "Разноцветный"),
}
COLORS = tuple(_COLOURS)
OPTIONS = {
    **_COLOURS,
    "yes": ("Так", "Да"), "no": ("Ні", "Нет"),
    "battery": ("Акумулятор", "Аккумулятор"), "mains": ("Мережа 230 В", "Сеть 230 В"),
    "petrol": ("Бензиновий двигун", "Бензиновый двигатель"),
    "sds_plus": ("SDS-plus", "SDS-plus"), "sds_max": ("SDS-max", "SDS-max"),
    "socket_set": ("Набір головок", "Набор головок"), "wrench": ("Ключ", "Ключ"),
    "screwdriver_set": ("Набір викруток", "Набор отверток"),
    "tape_measure": ("Рулетка", "Рулетка"), "spirit_level": ("Рівень", "Уровень"),
    "pruner": ("Секатор", "Секатор"), "spade": ("Лопата", "Лопата"), "axe": ("Сокира", "Топор"),
    "cr_v": ("Хром-ванадієва сталь", "Хром-ванадиевая сталь"), "steel": ("Сталь", "Сталь"),
    "plastic": ("Пластик", "Пластик"), "metal": ("Метал", "Металл"),
    "aluminium": ("Алюміній", "Алюминий"), "cast_iron": ("Чавун", "Чугун"),
    "fiberglass": ("Скловолокно", "Стекловолокно"), "wood": ("Дерево", "Дерево"),
    "microfiber": ("Мікрофібра", "Микрофибра"), "cotton": ("Бавовна", "Хлопок"),
    "polyester": ("Поліестер", "Полиэстер"),
    "m400": ("М400", "М400"), "m500": ("М500", "М500"), "m600": ("М600", "М600"),
    "indoor": ("Внутрішні роботи", "Внутренние работы"),
    "outdoor": ("Зовнішні роботи", "Наружные работы"),
    "universal": ("Універсальне", "Универсальное"),
    "deep_penetration": ("Глибокого проникнення", "Глубокого проникновения"),
    "contact": ("Бетоноконтакт", "Бетоноконтакт"),
    "sealant": ("Герметик", "Герметик"), "mounting_foam": ("Монтажна піна", "Монтажная пена"),
    "wood_screw": ("Саморіз по дереву", "Саморез по дереву"),
    "dowel_nail": ("Дюбель-цвях", "Дюбель-гвоздь"), "anchor": ("Анкер", "Анкер"),
    "matte": ("Матова", "Матовая"), "semi_matte": ("Напівматова", "Полуматовая"),
    "glossy": ("Глянцева", "Глянцевая"),
    "ac3": ("AC3 (31 клас)", "AC3 (31 класс)"), "ac4": ("AC4 (32 клас)", "AC4 (32 класс)"),
    "ac5": ("AC5 (33 клас)", "AC5 (33 класс)"),
    "chamfer_4v": ("4V", "4V"), "chamfer_2v": ("2V", "2V"), "no_chamfer": ("Без фаски", "Без фаски"),
    "non_woven": ("Флізелін", "Флизелин"), "paper": ("Папір", "Бумага"),
    "kitchen": ("Для кухні", "Для кухни"), "basin": ("Для умивальника", "Для умывальника"),
    "bath": ("Для ванни", "Для ванны"), "shower": ("Для душу", "Для душа"),
    "deck": ("На стільницю", "На столешницу"), "wall": ("Настінний", "Настенный"),
    "ceiling": ("Стельовий", "Потолочный"),
    "close_coupled": ("Компакт", "Компакт"), "wall_hung": ("Підвісний", "Подвесной"),
    "e27": ("E27", "E27"), "e14": ("E14", "E14"), "gu10": ("GU10", "GU10"),
    "hose_1_2": ('1/2"', '1/2"'), "hose_3_4": ('3/4"', '3/4"'), "hose_1": ('1"', '1"'),
    "soil": ("Ґрунт", "Грунт"), "lawn_seeds": ("Насіння газонних трав", "Семена газонных трав"),
    "fertilizer": ("Добриво", "Удобрение"),
    "oil_heater": ("Масляний обігрівач", "Масляный обогреватель"),
    "convector": ("Конвектор", "Конвектор"), "air_conditioner": ("Кондиціонер", "Кондиционер"),
    "bagged": ("З мішком", "С мешком"), "bagless": ("З контейнером", "С контейнером"),
    "robot": ("Робот-пилосос", "Робот-пылесос"),
    "frying_pan": ("Сковорода", "Сковорода"), "pot": ("Каструля", "Кастрюля"),
    "ladle": ("Ківш", "Ковш"),
    "gas": ("Газова", "Газовая"), "electric": ("Електрична", "Электрическая"),
    "ceramic": ("Склокерамічна", "Стеклокерамическая"), "induction": ("Індукційна", "Индукционная"),
    "litter_tray": ("Лоток", "Лоток"), "bowl": ("Миска", "Миска"), "bed": ("Лежанка", "Лежанка"),
    "cat": ("Кіт", "Кошка"), "dog": ("Собака", "Собака"), "rodent": ("Гризун", "Грызун"),
    "cast": ("Лита", "Литая"), "pvc": ("ПВХ", "ПВХ"), "mixed": ("Комбінована", "Комбинированная"),
}
# attribute code: (type, ua title, ru title, ua suffix, ru suffix, options of a select/multiselect)
ATTRIBUTES = {
    "color": ("select", "Колір", "Цвет", "", "", COLORS),
    "power_source": ("select", "Тип живлення", "Тип питания", "", "", ("battery", "mains")),
    "voltage_v": ("float", "Напруга акумулятора", "Напряжение аккумулятора", "В", "В", ()),
    "max_torque_nm": ("integer", "Максимальний крутний момент", "Максимальный крутящий момент",
                      "Н·м", "Н·м", ()),
    "power_w": ("integer", "Потужність", "Мощность", "Вт", "Вт", ()),
    "disc_diameter_mm": ("integer", "Діаметр диска", "Диаметр диска", "мм", "мм", ()),
    "chuck_type": ("select", "Тип патрона", "Тип патрона", "", "", ("sds_plus", "sds_max")),
    "impact_energy_j": ("float", "Енергія удару", "Энергия удара", "Дж", "Дж", ()),
    "tool_type": ("select", "Тип інструменту", "Тип инструмента", "", "", ()),
    "pieces": ("integer", "Кількість предметів", "Количество предметов", "шт.", "шт.", ()),
    "material": ("select", "Матеріал", "Материал", "", "", ()),
    "length_m": ("float", "Довжина", "Длина", "м", "м", ()),
    "size_in": ("float", "Розмір", "Размер", '"', '"', ()),
    "steps": ("integer", "Кількість сходинок", "Количество ступеней", "", "", ()),
    "max_load_kg": ("integer", "Максимальне навантаження", "Максимальная нагрузка", "кг", "кг", ()),
    "cement_grade": ("select", "Марка цементу", "Марка цемента", "", "", ("m400", "m500", "m600")),
    "package_weight_kg": ("float", "Вага упаковки", "Вес упаковки", "кг", "кг", ()),
    "application": ("select", "Застосування", "Применение", "", "",
                    ("indoor", "outdoor", "universal")),
    "volume_l": ("float", "Об'єм", "Объем", "л", "л", ()),
    "volume_ml": ("integer", "Об'єм", "Объем", "мл", "мл", ()),
    "primer_type": ("select", "Тип ґрунтовки", "Тип грунтовки", "", "",
                    ("deep_penetration", "contact")),
    "product_type": ("select", "Тип товару", "Тип товара", "", "", ()),
    "fastener_type": ("select", "Тип кріплення", "Тип крепежа", "", "",
                      ("wood_screw", "dowel_nail", "anchor")),
    "size_mm": ("string", "Розмір", "Размер", "мм", "мм", ()),
    "finish": ("select", "Ступінь блиску", "Степень блеска", "", "", ("matte", "semi_matte", "glossy")),
    "wear_class": ("select", "Клас зносостійкості", "Класс износостойкости", "", "",
                   ("ac3", "ac4", "ac5")),
    "thickness_mm": ("float", "Товщина", "Толщина", "мм", "мм", ()),
    "chamfer": ("select", "Фаска", "Фаска", "", "", ("chamfer_4v", "chamfer_2v", "no_chamfer")),
    "wallpaper_base": ("select", "Основа", "Основа", "", "", ("non_woven", "paper")),
    "roll_width_m": ("float", "Ширина рулону", "Ширина рулона", "м", "м", ()),
    "roll_length_m": ("float", "Довжина рулону", "Длина рулона", "м", "м", ()),
    "mixer_type": ("select", "Призначення", "Назначение", "", "", ("kitchen", "basin", "bath", "shower")),
    "mounting": ("select", "Монтаж", "Монтаж", "", "", ()),
    "toilet_type": ("select", "Тип унітазу", "Тип унитаза", "", "", ("close_coupled", "wall_hung")),
    "seat_included": ("select", "Сидіння в комплекті", "Сиденье в комплекте", "", "", ("yes", "no")),
    "lamp_base": ("select", "Цоколь", "Цоколь", "", "", ("e27", "e14", "gu10")),
    "color_temperature_k": ("integer", "Колірна температура", "Цветовая температура", "К", "К", ()),
    "sockets": ("integer", "Кількість гнізд", "Количество гнезд", "", "", ()),
    "cable_length_m": ("float", "Довжина кабелю", "Длина кабеля", "м", "м", ()),
    "grounding": ("select", "Заземлення", "Заземление", "", "", ("yes", "no")),
    "hose_diameter": ("select", "Діаметр шланга", "Диаметр шланга", "", "",
                      ("hose_1_2", "hose_3_4", "hose_1")),
    "cutting_width_cm": ("integer", "Ширина скошування", "Ширина скашивания", "см", "см", ()),
    "package_size": ("string", "Фасування", "Фасовка", "", "", ()),
    "device_type": ("select", "Тип пристрою", "Тип устройства", "", "",
                    ("oil_heater", "convector", "air_conditioner")),
    "area_m2": ("integer", "Площа приміщення", "Площадь помещения", "м²", "м²", ()),
    "vacuum_type": ("select", "Тип пилососа", "Тип пылесоса", "", "", ("bagged", "bagless", "robot")),
    "kit_contents": ("text", "Комплектація", "Комплектация", "", "", ()),
    "cookware_type": ("select", "Тип посуду", "Тип посуды", "", "", ("frying_pan", "pot", "ladle")),
    "hob_types": ("multiselect", "Тип плити", "Тип плиты", "", "",
                  ("gas", "electric", "ceramic", "induction")),
    "diameter_cm": ("integer", "Діаметр", "Диаметр", "см", "см", ()),
    "size_cm": ("string", "Розмір", "Размер", "см", "см", ()),
    "rows": ("integer", "Кількість рядів", "Количество рядов", "", "", ()),
    "animal": ("multiselect", "Тварина", "Животное", "", "", ("cat", "dog", "rodent")),
    "skewers": ("integer", "Кількість шампурів", "Количество шампуров", "шт.", "шт.", ()),
    "foldable": ("select", "Розкладний", "Складной", "", "", ("yes", "no")),
    "tree_type": ("select", "Тип ялинки", "Тип елки", "", "", ("cast", "pvc", "mixed")),
    "height_m": ("float", "Висота", "Высота", "м", "м", ()),
}

# attribute set code: (ua, ru, ((attribute, required, options when not the attribute's), ...));
# `color` (not required) comes first in every set.
SETS = {
    "drill_driver": ("Дрилі-шурупокрути", "Дрели-шуруповерты", (
        ("power_source", True, None), ("voltage_v", False, None), ("max_torque_nm", False, None))),
    "angle_grinder": ("Кутові шліфмашини", "Угловые шлифмашины", (
        ("power_source", True, ("mains", "battery")), ("disc_diameter_mm", True, None),
        ("power_w", False, None))),
    "rotary_hammer": ("Перфоратори", "Перфораторы", (
        ("power_source", True, ("mains", "battery")), ("chuck_type", True, None),
        ("impact_energy_j", False, None))),
    "hand_tool": ("Ручний інструмент", "Ручной инструмент", (
        ("tool_type", True, ("socket_set", "wrench", "screwdriver_set")), ("pieces", False, None),
        ("material", False, ("cr_v", "steel", "plastic")))),
    "measuring_tool": ("Вимірювальний інструмент", "Измерительный инструмент", (
        ("tool_type", True, ("tape_measure", "spirit_level")), ("length_m", True, None))),
    "tool_box": ("Ящики для інструментів", "Ящики для инструментов", (
        ("material", True, ("plastic", "metal")), ("size_in", False, None))),
    "ladder": ("Драбини", "Лестницы", (
        ("steps", True, None), ("material", True, ("aluminium", "steel")),
        ("max_load_kg", False, None))),
    "cement_mix": ("Цемент", "Цемент", (
        ("cement_grade", True, None), ("package_weight_kg", True, None))),
    "tile_adhesive_mix": ("Клеї для плитки", "Клеи для плитки", (
        ("application", True, None), ("package_weight_kg", True, None))),
    "primer": ("Ґрунтовки", "Грунтовки", (
        ("primer_type", True, None), ("volume_l", True, None),
        ("application", False, None))),
    "sealant_foam": ("Герметики та піни", "Герметики и пены", (
        ("product_type", True, ("sealant", "mounting_foam")), ("volume_ml", True, None),
        ("application", False, None))),
    "fastener": ("Кріплення", "Крепеж", (
        ("fastener_type", True, None), ("size_mm", True, None), ("pieces", False, None))),
    "paint_interior": ("Фарби інтер'єрні", "Краски интерьерные", (
        ("volume_l", True, None), ("finish", True, None))),
    "paint_facade": ("Фарби фасадні", "Краски фасадные", (
        ("volume_l", True, None), ("finish", True, None))),
    "laminate_board": ("Ламінат", "Ламинат", (
        ("wear_class", True, None), ("thickness_mm", True, None), ("chamfer", False, None))),
    "wallpaper_roll": ("Шпалери", "Обои", (
        ("wallpaper_base", True, None), ("roll_width_m", False, None),
        ("roll_length_m", False, None))),
    "mixer_tap": ("Змішувачі", "Смесители", (
        ("mixer_type", True, None), ("mounting", False, ("deck", "wall")))),
    "toilet": ("Унітази", "Унитазы", (
        ("toilet_type", True, None), ("seat_included", False, None))),
    "lamp": ("Лампи", "Лампы", (
        ("lamp_base", True, None), ("power_w", True, None), ("color_temperature_k", False, None))),
    "extension_cord": ("Подовжувачі", "Удлинители", (
        ("sockets", True, None), ("cable_length_m", True, None), ("grounding", True, None))),
    "garden_hose": ("Шланги", "Шланги", (
        ("hose_diameter", True, None), ("length_m", True, None))),
    "lawn_mower": ("Газонокосарки", "Газонокосилки", (
        ("power_source", True, ("mains", "battery", "petrol")), ("cutting_width_cm", False, None),
        ("power_w", False, None))),
    "garden_tool": ("Садовий інструмент", "Садовый инструмент", (
        ("tool_type", True, ("pruner", "spade", "axe")),
        ("material", False, ("steel", "fiberglass", "wood")))),
    "soil_seed": ("Ґрунти та насіння", "Грунты и семена", (
        ("product_type", True, ("soil", "lawn_seeds", "fertilizer")), ("package_size", True, None))),
    "climate_device": ("Кліматична техніка", "Климатическая техника", (
        ("device_type", True, None), ("power_w", True, None), ("area_m2", False, None))),
    "vacuum_cleaner": ("Пилососи", "Пылесосы", (
        ("vacuum_type", True, None), ("power_w", False, None), ("kit_contents", False, None))),
    "cookware_item": ("Посуд для приготування", "Посуда для приготовления", (
        ("cookware_type", True, None), ("hob_types", False, None), ("diameter_cm", False, None),
        ("volume_l", False, None))),
    "bath_mat": ("Килимки для ванної", "Коврики для ванной", (
        ("size_cm", True, None), ("material", True, ("microfiber", "cotton", "polyester")))),
    "curtain_rod": ("Карнизи", "Карнизы", (
        ("rows", True, None), ("length_m", True, None), ("mounting", True, ("wall", "ceiling")))),
    "pet_product": ("Товари для тварин", "Товары для животных", (
        ("product_type", True, ("litter_tray", "bowl", "bed")), ("animal", True, None))),
    "grill": ("Мангали", "Мангалы", (
        ("material", True, ("steel", "cast_iron")), ("skewers", False, None),
        ("foldable", False, None))),
    "christmas_tree": ("Штучні ялинки", "Искусственные елки", (
        ("tree_type", True, None), ("height_m", True, None))),
}

# (code, parent code, ua, ru, attribute set of a leaf or None, deleted); parents come first.
CATEGORY_TREE = (
    ("tools", None, "Інструмент", "Инструмент", None, False),
    ("power_tools", "tools", "Електроінструмент", "Электроинструмент", None, False),
    ("drills", "power_tools", "Дрилі та шурупокрути", "Дрели и шуруповерты", "drill_driver", False),
    ("angle_grinders", "power_tools", "Болгарки (КШМ)", "Болгарки (УШМ)", "angle_grinder", False),
    ("rotary_hammers", "power_tools", "Перфоратори", "Перфораторы", "rotary_hammer", False),
    ("hand_tools", "tools", "Ручний інструмент", "Ручной инструмент", "hand_tool", False),
    ("measuring_tools", "tools", "Вимірювальний інструмент", "Измерительный инструмент",
     "measuring_tool", False),
    ("tool_storage", "tools", "Ящики для інструментів", "Ящики для инструментов", "tool_box", False),
    ("ladders", "tools", "Драбини та стрем'янки", "Лестницы и стремянки", "ladder", False),
    ("building_materials", None, "Будівельні матеріали", "Строительные материалы", None, False),
    ("building_mixes", "building_materials", "Будівельні суміші", "Строительные смеси", None, False),
    ("cement", "building_mixes", "Цемент", "Цемент", "cement_mix", False),
    ("tile_adhesive", "building_mixes", "Клей для плитки", "Клей для плитки", "tile_adhesive_mix",
     False),
    ("primers", "building_mixes", "Ґрунтовки", "Грунтовки", "primer", False),
    ("sealants_foam", "building_materials", "Герметики та монтажна піна",
     "Герметики и монтажная пена", "sealant_foam", False),
    ("fasteners", "building_materials", "Кріплення", "Крепеж", "fastener", False),
    ("paints", None, "Фарби та лаки", "Краски и лаки", None, False),
    ("interior_paint", "paints", "Фарби інтер'єрні", "Краски интерьерные", "paint_interior", False),
    ("facade_paint", "paints", "Фарби фасадні", "Краски фасадные", "paint_facade", True),
    ("finishing", None, "Оздоблювальні матеріали", "Отделочные материалы", None, False),
    ("laminate", "finishing", "Ламінат", "Ламинат", "laminate_board", False),
    ("wallpaper", "finishing", "Шпалери", "Обои", "wallpaper_roll", False),
    ("plumbing", None, "Сантехніка", "Сантехника", None, False),
    ("mixers", "plumbing", "Змішувачі", "Смесители", "mixer_tap", False),
    ("toilets", "plumbing", "Унітази", "Унитазы", "toilet", False),
    ("electrical", None, "Електротовари", "Электротовары", None, False),
    ("lamps", "electrical", "Лампи", "Лампы", "lamp", False),
    ("extension_cords", "electrical", "Подовжувачі", "Удлинители", "extension_cord", False),
    ("garden", None, "Сад і город", "Сад и огород", None, False),
    ("garden_hoses", "garden", "Шланги поливальні", "Шланги поливочные", "garden_hose", False),
    ("lawn_mowers", "garden", "Газонокосарки", "Газонокосилки", "lawn_mower", False),
    ("garden_hand_tools", "garden", "Садовий інструмент", "Садовый инструмент", "garden_tool",
     False),
    ("soil_seeds", "garden", "Ґрунти, насіння та добрива", "Грунты, семена и удобрения",
     "soil_seed", False),
    ("appliances", None, "Побутова техніка", "Бытовая техника", None, False),
    ("climate", "appliances", "Кліматична техніка", "Климатическая техника", "climate_device",
     False),
    ("vacuum_cleaners", "appliances", "Пилососи", "Пылесосы", "vacuum_cleaner", False),
    ("home", None, "Товари для дому", "Товары для дома", None, False),
    ("cookware", "home", "Посуд для приготування", "Посуда для приготовления", "cookware_item",
     False),
    ("bath_mats", "home", "Килимки для ванної", "Коврики для ванной", "bath_mat", False),
    ("curtain_rods", "home", "Карнизи та гардини", "Карнизы и гардины", "curtain_rod", False),
    ("pet_supplies", "home", "Товари для тварин", "Товары для животных", "pet_product", False),
    ("leisure", None, "Відпочинок і свята", "Отдых и праздники", None, False),
    ("grills", "leisure", "Мангали та барбекю", "Мангалы и барбекю", "grill", False),
    ("christmas_trees", "leisure", "Новорічні ялинки", "Новогодние елки", "christmas_tree", False),
)

# sku: (leaf category, {required attribute: option code or text}); the values of its goods
_CATALOGUE_GOODS = {
    "TT-7734210": ("hand_tools", {"tool_type": "socket_set"}),
    "TT-1102003": ("hand_tools", {"tool_type": "wrench"}),
    "TT-4512060": ("hand_tools", {"tool_type": "screwdriver_set"}),
    "MK-3330127": ("drills", {"power_source": "battery"}),
    "BS-6013940": ("angle_grinders", {"power_source": "mains", "disc_diameter_mm": "125"}),
    "DW-2513300": ("rotary_hammers", {"power_source": "mains", "chuck_type": "sds_plus"}),
    "SN-1001010": ("interior_paint", {"volume_l": "10", "finish": "matte"}),
    "CR-1710010": ("primers", {"primer_type": "deep_penetration", "volume_l": "10"}),
    "CR-1125025": ("tile_adhesive", {"application": "universal", "package_weight_kg": "25"}),
    "DY-5000025": ("cement", {"cement_grade": "m500", "package_weight_kg": "25"}),
    "KP-4410821": ("laminate", {"wear_class": "ac4", "thickness_mm": "8"}),
    "MB-3104800": ("wallpaper", {"wallpaper_base": "non_woven"}),
    "GR-3328100": ("mixers", {"mixer_type": "kitchen"}),
    "CS-3104400": ("toilets", {"toilet_type": "close_coupled"}),
    "PH-6010270": ("lamps", {"lamp_base": "e27", "power_w": "10"}),
    "LG-6945560": ("extension_cords", {"sockets": "3", "cable_length_m": "3", "grounding": "yes"}),
    "CF-1512025": ("garden_hoses", {"hose_diameter": "hose_1_2", "length_m": "25"}),
    "EH-3400257": ("lawn_mowers", {"power_source": "mains"}),
    "FS-1023628": ("garden_hand_tools", {"tool_type": "pruner"}),
    "FS-1026684": ("garden_hand_tools", {"tool_type": "spade"}),
    "FS-1015618": ("garden_hand_tools", {"tool_type": "axe"}),
    "RM-2000020": ("soil_seeds", {"product_type": "soil", "package_size": "20 л"}),
    "GT-1000001": ("soil_seeds", {"product_type": "lawn_seeds", "package_size": "1 кг"}),
    "ST-0337200": ("measuring_tools", {"tool_type": "tape_measure", "length_m": "5"}),
    "ST-1435530": ("measuring_tools", {"tool_type": "spirit_level", "length_m": "0.6"}),
    "ST-1920660": ("tool_storage", {"material": "plastic"}),
    "WK-6000611": ("ladders", {"steps": "6", "material": "aluminium"}),
    "AR-1100111": ("climate", {"device_type": "oil_heater", "power_w": "2500"}),
    "CH-0900092": ("climate", {"device_type": "air_conditioner", "power_w": "2640"}),
    "RW-3950000": ("vacuum_cleaners", {"vacuum_type": "bagged"}),
    "TF-8170544": ("cookware", {"cookware_type": "frying_pan"}),
    "AR-1935035": ("cookware", {"cookware_type": "pot"}),
    "KV-5080120": ("bath_mats", {"size_cm": "50×80", "material": "microfiber"}),
    "GD-2000200": ("curtain_rods", {"rows": "2", "length_m": "2", "mounting": "wall"}),
    "PT-1000017": ("pet_supplies", {"product_type": "litter_tray", "animal": "cat"}),
    "SR-4040200": ("fasteners", {"fastener_type": "wood_screw", "size_mm": "4×40"}),
    "DC-6040100": ("fasteners", {"fastener_type": "dowel_nail", "size_mm": "6×40"}),
    "SD-2802801": ("sealants_foam", {"product_type": "sealant", "volume_ml": "280"}),
    "SD-7507500": ("sealants_foam", {"product_type": "mounting_foam", "volume_ml": "750"}),
    "MG-8000008": ("grills", {"material": "steel"}),
    "YL-1800180": ("christmas_trees", {"tree_type": "cast", "height_m": "1.8"}),
}
CATALOGUE_CATEGORY = {sku: _CATALOGUE_GOODS[sku][0] for _title, sku, *_rest in CATALOGUE}
CATALOGUE_PARAMS = {sku: dict(_CATALOGUE_GOODS[sku][1]) for _title, sku, *_rest in CATALOGUE}


def _titles(title_ua, title_ru, extra_ua=None, extra_ru=None):
    return [{"languageCode": "ua", "title": title_ua, **(extra_ua or {})},
            {"languageCode": "ru", "title": title_ru, **(extra_ru or {})}]


def _option(code):
    return {"code": code, "translations": _titles(*OPTIONS[code])}


class Pim:
    """The vocabulary as the API's items: `categories` {code: CategoryListV2},
    `attribute_sets` {code: AttributeSetV2}, `options` {(set, attribute): [AttributeOptionListV2]}
    for every attribute of every set (empty for an attribute that is not a select), all in the
    API's order. Read-only: the routes serialise these very dicts."""

    def __init__(self):
        self.attribute_sets, self.options = {}, {}
        for set_code, (ua, ru, own) in SETS.items():
            attributes = []
            for code, required, options in (("color", False, None), *own):
                kind, title_ua, title_ru, suffix_ua, suffix_ru, default = ATTRIBUTES[code]
                attributes.append({
                    "code": code, "type": kind, "isSystem": False, "isRequired": required,
                    "isModel": False, "isFilter": kind in ("select", "multiselect"),
                    "translations": _titles(title_ua, title_ru,
                                            {"prefix": "", "suffix": suffix_ua},
                                            {"prefix": "", "suffix": suffix_ru})})
                self.options[set_code, code] = [_option(o) for o in options or default]
            self.attribute_sets[set_code] = {"code": set_code, "translations": _titles(ua, ru),
                                             "attributes": attributes}
        parents = {parent for _code, parent, *_rest in CATEGORY_TREE}
        self.categories = {
            code: {"code": code, "parentCode": parent, "hasChild": code in parents,
                   "attributeSets": [{"code": set_code}] if set_code else [],
                   "translations": _titles(ua, ru), "deleted": deleted}
            for code, parent, ua, ru, set_code, deleted in CATEGORY_TREE}

    def leaves(self):
        """The categories a seller may put goods in: leaves not deleted."""
        return [c for c in self.categories.values() if not c["hasChild"] and not c["deleted"]]

    def attribute(self, set_code, code):
        """An attribute of a set (AttributeSetV2's item), or None."""
        attribute_set = self.attribute_sets.get(set_code) or {"attributes": ()}
        return next((a for a in attribute_set["attributes"] if a["code"] == code), None)

    def option_codes(self, set_code, code):
        return [option["code"] for option in self.options.get((set_code, code), ())]


PIM = Pim()


# -- the routes ------------------------------------------------------------------------------

def _refuse_filters(args, allowed):
    for name in args:
        if name.startswith("filter[") and name not in allowed:
            raise ApiError(400, "Invalid request parameters", {name: [
                "Filter not supported" + (f" (supported: {', '.join(allowed)})." if allowed else ".")]})


def _page(items, args):
    """PagedCollection: page `page` (1-based) of PAGE_SIZE items; at least one page."""
    page = parse_int(args, "page", 1, 1)
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    return {"page": page, "pages": pages, "items": items[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]}


def categories_page(args):
    """GET /v2/pim/categories[?filter[hasChild]=true|false][&page=n]."""
    _refuse_filters(args, ("filter[hasChild]",))
    items = list(PIM.categories.values())
    if "filter[hasChild]" in args:
        value = args.get("filter[hasChild]")
        if value not in ("true", "false"):
            raise ApiError(400, "Invalid request parameters",
                           {"filter[hasChild]": ["Expected true or false."]})
        items = [c for c in items if c["hasChild"] == (value == "true")]
    return _page(items, args)


def attribute_sets_page(args):
    """GET /v2/pim/attribute-sets[?filter[codes][]=a&filter[codes][]=b][&page=n]."""
    _refuse_filters(args, ("filter[codes][]",))
    items = list(PIM.attribute_sets.values())
    if "filter[codes][]" in args:
        codes = set(args.getlist("filter[codes][]"))
        items = [s for s in items if s["code"] in codes]
    return _page(items, args)


def options_page(set_code, attribute_code, args):
    """GET /v2/pim/attribute-sets/{set}/attributes/{attribute}/options[?page=n]."""
    _refuse_filters(args, ())
    if PIM.attribute(set_code, attribute_code) is None:
        raise ApiError(404, "entity.not_found")
    return _page(PIM.options[set_code, attribute_code], args)
