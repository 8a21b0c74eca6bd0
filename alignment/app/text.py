"""The page's words in English and Russian. A key missing in one language is a test failure, not a blank."""

from __future__ import annotations

import functools

import yaml

TEXT = {
    "title": {"en": "Central Asia between the powers: a classroom model", "ru": "Центральная Азия между державами: учебная модель"},
    "language": {"en": "Язык: русский", "ru": "Language: English"},
    "scenario": {"en": "Scenario", "ru": "Сценарий"},
    "seed": {"en": "Seed (random numbers)", "ru": "Зерно (случайные числа)"},
    "step": {"en": "Step", "ru": "Шаг"},
    "play": {"en": "Play", "ru": "Пуск"},
    "pause": {"en": "Pause", "ru": "Пауза"},
    "reset": {"en": "Reset", "ru": "Сброс"},
    "speed": {"en": "Speed: {n} months a second", "ru": "Скорость: {n} мес. в секунду"},
    "play_to": {"en": "Play to", "ru": "Пуск до"},
    "to_end": {"en": "the end ({year})", "ru": "конца ({year})"},
    "copy_link": {"en": "Copy link", "ru": "Копировать ссылку"},
    "copied": {"en": "Copied", "ru": "Скопировано"},
    "question_link": {"en": "Link to this question", "ru": "Ссылка на этот вопрос"},
    "projector": {"en": "Large type (projector)", "ru": "Крупный шрифт (проектор)"},
    "ignored": {"en": "Ignored from the link: {what}. The page opened with the defaults for these.",
                "ru": "Из ссылки не применено: {what}. Для этого взяты значения по умолчанию."},
    "full_title": {"en": "The class is full", "ru": "Класс заполнен"},
    "full_body": {"en": "This server takes {n} sessions at once, and all of them are in use. Ask your teacher, or try "
                        "again when someone closes their tab.",
                  "ru": "Сервер принимает не более {n} сеансов одновременно, и все они заняты. Спросите учителя или "
                        "попробуйте снова, когда кто-нибудь закроет вкладку."},
    "try_again": {"en": "Try again", "ru": "Попробовать снова"},
    "table": {"en": "Alignment weights now ({date}), share of each state's portfolio",
              "ru": "Веса ориентации сейчас ({date}), доля в портфеле каждого государства"},
    "question_now": {"en": "Question", "ru": "Вопрос"},
    "close_question": {"en": "Close the question", "ru": "Закрыть вопрос"},
    "spread": {"en": "Show the spread ({n} seeds)", "ru": "Показать разброс ({n} зёрен)"},
    "spreading": {"en": "Running {n} seeds…", "ru": "Идут прогоны: {n} зёрен…"},
    "pin": {"en": "Pin this run as the baseline", "ru": "Закрепить этот прогон как базовый"},
    "unpin": {"en": "Remove the baseline", "ru": "Убрать базовый прогон"},
    "baseline": {"en": "baseline: {name}", "ru": "базовый: {name}"},
    "date": {"en": "Month reached", "ru": "Достигнутый месяц"},
    "state": {"en": "State", "ru": "Государство"},
    "map": {"en": "The region now", "ru": "Регион сейчас"},
    "weights": {"en": "Alignment weights of {state}", "ru": "Веса ориентации: {state}"},
    "weights_12m": {"en": "Alignment weights of {state}, 12-month means", "ru": "Веса ориентации: {state}, средние за 12 месяцев"},
    "smooth": {"en": "12-month means", "ru": "Средние за 12 месяцев"},
    "highlight": {"en": "Powers in colour", "ru": "Державы в цвете"},
    "weight_axis": {"en": "alignment weight (share)", "ru": "вес ориентации (доля)"},
    "corridors": {"en": "Corridor volumes", "ru": "Объёмы по коридорам"},
    "volume_axis": {"en": "million tonnes per year", "ru": "млн тонн в год"},
    "interactions": {"en": "Interactions per year", "ru": "Контакты в год"},
    "interactions_axis": {"en": "interactions per year", "ru": "контактов в год"},
    "intraregional": {"en": "among the five states", "ru": "между пятью государствами"},
    "external": {"en": "with the external powers", "ru": "с внешними державами"},
    "recorded_counts": {"en": "recorded (2015, 2019)", "ru": "зафиксировано (2015, 2019)"},
    "unga": {"en": "UN votes: predicted against recorded, 2015-2021", "ru": "Голосования в ООН: модель и факт, 2015-2021"},
    "unga_x": {"en": "recorded agreement (0-1)", "ru": "фактическое совпадение (0-1)"},
    "unga_y": {"en": "predicted agreement (0-1)", "ru": "предсказанное совпадение (0-1)"},
    "unga_wait": {"en": "Step through a whole year of 2015-2021 to see the fit",
                  "ru": "Пройдите целый год из 2015-2021, чтобы увидеть соответствие"},
    "year": {"en": "year", "ru": "год"},
    "band_label": {"en": "band: 5-95 % of {n} seeds", "ru": "полоса: 5-95 % из {n} зёрен"},
    "dashed": {"en": "dashed: {name}", "ru": "пунктир: {name}"},
    "events": {"en": "Events reached", "ru": "Наступившие события"},
    "no_events": {"en": "No event yet: press Step or Play.", "ru": "Событий пока нет: нажмите «Шаг» или «Пуск»."},
    "questions": {"en": "Guided questions", "ru": "Вопросы для урока"},
    "load": {"en": "Load this question", "ru": "Загрузить вопрос"},
    "look_for": {"en": "What to look for", "ru": "На что смотреть"},
    "export": {"en": "Export", "ru": "Экспорт"},
    "export_csv": {"en": "Data (CSV)", "ru": "Данные (CSV)"},
    "export_png": {"en": "Charts (PNG)", "ru": "Графики (PNG)"},
    "export_config": {"en": "Reproduce (alignment-run)", "ru": "Воспроизвести (alignment-run)"},
    "typed": {"en": "type a value", "ru": "введите значение"},
    "refused": {"en": "Refused: {why}. The run goes on with the previous value.",
                "ru": "Отклонено: {why}. Прогон продолжается с прежним значением."},
    "finished": {"en": "The run has reached its horizon.", "ru": "Прогон дошёл до конца горизонта."},
    "info": {"en": "About this model", "ru": "О модели"},
    # alt text of the pictures
    "alt_map": {"en": "Schematic map of Central Asia at {date}: each state's alignment weights as a stacked bar (the "
                      "table below gives the numbers) and the corridors as lines as thick as their volume.",
                "ru": "Схема Центральной Азии на {date}: веса ориентации каждого государства столбиком (числа в "
                      "таблице ниже), коридоры линиями, толщина которых отвечает объёму."},
    "alt_weights": {"en": "Line chart: {state}'s alignment weight on each power, 2015 to {date}; largest now: {top}.",
                    "ru": "График: вес ориентации {state} для каждой державы, с 2015 по {date}; больше всего сейчас: {top}."},
    "alt_corridors": {"en": "Line chart: overland corridor volumes in million tonnes a year, 2015 to {date}; now: {now}.",
                      "ru": "График: объёмы по сухопутным коридорам, млн тонн в год, с 2015 по {date}; сейчас: {now}."},
    "alt_interactions": {"en": "Bar chart: high-level interactions per year among the five states and with the powers, "
                               "with the recorded counts of 2015 and 2019.",
                         "ru": "Столбчатая диаграмма: контакты высокого уровня в год между пятью государствами и с "
                               "державами, с фактическими числами 2015 и 2019 годов."},
    "alt_unga": {"en": "Scatter chart: the model's UN voting agreement of each state with each power against the "
                       "recorded agreement, for the whole years of 2015-2021 the run has passed.",
                 "ru": "Точечная диаграмма: совпадение голосований в ООН каждого государства с каждой державой по "
                       "модели и по факту, за пройденные годы 2015-2021."},
}

INFO = {
    "en": [
        ("What is it?", "An agent-based model of the five Central Asian states (Kazakhstan, Uzbekistan, Kyrgyzstan, "
                        "Tajikistan, Turkmenistan) and the powers around them (Russia, China, the US, the EU, the UK, "
                        "Turkey, Iran). Each state spreads its 'alignment weights' over the powers: shares that add up to one."),
        ("How does it work?", "Every month the states trade, freight picks the cheapest corridor with room on it, the "
                              "powers spend money and attention, leaders meet, and each state moves its weights a little "
                              "towards what trade, investment, security ties, remittances and diplomacy pull it to, while "
                              "avoiding dependence on any one power. Dated events (the 2022 war, sanctions, summits, "
                              "pledges) come from the scenario. The UN-vote chart shows how the weights predict voting."),
        ("How to use it", "Choose a scenario, press Step (one month) or Play. Move a slider: the run starts again from "
                          "2015 with the new setting. 'Show the spread' runs many seeds at once and draws their band; "
                          "'Pin' keeps a run to compare against. The guided questions set everything up for you."),
        ("Things to notice", "No state puts most of its weight on one power: the region hedges. The Middle Corridor "
                             "(across the Caspian) grows after 2022 as freight leaves the route through Russia. "
                             "Remittances keep Tajikistan and Kyrgyzstan close to Russia."),
        ("Things to try", "Turn the push of Russian coercion up and watch Kazakhstan. Make shippers indifferent to cost "
                          "and see the corridors converge. Compare the no-war scenario with the historical one."),
    ],
    "ru": [
        ("Что это?", "Агентная модель пяти государств Центральной Азии (Казахстан, Узбекистан, Кыргызстан, "
                     "Таджикистан, Туркменистан) и держав вокруг них (Россия, Китай, США, ЕС, Великобритания, "
                     "Турция, Иран). Каждое государство распределяет «веса ориентации» между державами: доли, "
                     "в сумме дающие единицу."),
        ("Как это работает?", "Каждый месяц государства торгуют, грузы идут по самому дешёвому коридору со свободной "
                              "пропускной способностью, державы тратят деньги и внимание, лидеры встречаются, и каждое "
                              "государство немного сдвигает веса туда, куда его тянут торговля, инвестиции, связи в "
                              "сфере безопасности, денежные переводы и дипломатия, избегая зависимости от одной державы. "
                              "Датированные события (война 2022 года, санкции, саммиты, обещания) берутся из сценария."),
        ("Как пользоваться", "Выберите сценарий и нажмите «Шаг» (один месяц) или «Пуск». Сдвиньте ползунок: прогон "
                             "начнётся заново с 2015 года. «Показать разброс» запускает много зёрен сразу и рисует "
                             "их полосу; «Закрепить» сохраняет прогон для сравнения. Вопросы для урока всё настроят сами."),
        ("На что обратить внимание", "Ни одно государство не отдаёт большую часть веса одной державе: регион "
                                     "балансирует. Средний коридор (через Каспий) растёт после 2022 года, когда грузы "
                                     "уходят с маршрута через Россию. Денежные переводы держат Таджикистан и Кыргызстан "
                                     "рядом с Россией."),
        ("Что попробовать", "Усильте давление России и следите за Казахстаном. Сделайте грузоотправителей безразличными "
                            "к цене и посмотрите, как сходятся коридоры. Сравните сценарий без войны с историческим."),
    ],
}

NAMES = {
    "en": {"KAZ": "Kazakhstan", "UZB": "Uzbekistan", "KGZ": "Kyrgyzstan", "TJK": "Tajikistan", "TKM": "Turkmenistan",
           "RUS": "Russia", "CHN": "China", "USA": "US", "EU": "EU", "GBR": "UK", "TUR": "Turkey", "IRN": "Iran",
           "NORTHERN": "Northern (via Russia)", "MIDDLE": "Middle (Caspian)", "CKU": "China-Kyrgyzstan-Uzbekistan",
           "INSTC": "North-South (via Iran)"},
    "ru": {"KAZ": "Казахстан", "UZB": "Узбекистан", "KGZ": "Кыргызстан", "TJK": "Таджикистан", "TKM": "Туркменистан",
           "RUS": "Россия", "CHN": "Китай", "USA": "США", "EU": "ЕС", "GBR": "Великобритания", "TUR": "Турция", "IRN": "Иран",
           "NORTHERN": "Северный (через Россию)", "MIDDLE": "Средний (Каспий)", "CKU": "Китай-Кыргызстан-Узбекистан",
           "INSTC": "Север-Юг (через Иран)"},
}


@functools.lru_cache(maxsize=1)
def _event_notes_ru() -> dict:
    from alignment.cli import CONFIG_DIR

    return yaml.safe_load((CONFIG_DIR / "app" / "event_notes.ru.yaml").read_text(encoding="utf-8")) or {}


def event_note(event_id: str, note: str, lang: str) -> str:
    """An event's note in the page's language (configs/app/event_notes.ru.yaml for Russian; English otherwise)."""
    return _event_notes_ru().get(event_id, note) if lang == "ru" else note


def t(key: str, lang: str, **kw) -> str:
    return TEXT[key][lang].format(**kw)


def name(code: str, lang: str) -> str:
    return NAMES[lang].get(code, code)
