"""The demo's register: its districts, its staff, and the people its homes belong to.

Made up and seeded, so one seed always gives the same people: Italian names, addresses in two
Ambiti Territoriali Sociali of the Marche, dates of birth in the 1930s and 1940s, medical and
care notes, key safes, contacts in calling order (relatives, neighbours with a key, the family
doctor), a daily check-in for a few homes and well-being calls for some. Every value passes
through the API's own models, and is written with the hub's own storage code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from hub.alarms.wellbeing_calls import Schedule
from hub.api.models import CallScheduleIn, ContactIn, ResidentIn
from hub.auth.users import Role, add_user
from hub.storage import calls, homes, registry, users
from telecare.errors import TelecareError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from psycopg import AsyncConnection

ANCONA = "ATS 11 Ancona"
FALCONARA = "ATS 12 Falconara"
DISTRICTS = (ANCONA, FALCONARA)
TIME_ZONE = "Europe/Rome"
DEMO_PASSWORD = "telecare-demo"  # noqa: S105 - printed for anyone to sign in to a local demo
CHECK_IN_BEFORE = time(10, 0)


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A member of staff the demo signs up."""

    username: str
    role: Role
    districts: tuple[str, ...] = DISTRICTS


DEMO_HOME_PATTERN = r"^casa-[0-9]{5}$"
"""The ids of the demo's homes (``casa-00001`` and on, :func:`telecare.demo.demo_homes`)."""
DEMO_USERS = (
    DemoUser("operatore1", Role.OPERATOR),
    DemoUser("operatore2", Role.OPERATOR),
    DemoUser("supervisore", Role.SUPERVISOR),
    DemoUser("assistente", Role.SOCIAL_WORKER),
)


@dataclass(frozen=True, slots=True)
class DemoHome:
    """What the register holds for one home."""

    home_id: str
    district: str
    residents: tuple[ResidentIn, ...]
    contacts: tuple[ContactIn, ...]
    check_in_before: time | None
    """The daily "I'm OK" press is expected before this time (None: no check-in)."""
    calls: tuple[CallScheduleIn, ...]
    """Well-being calls to the first resident."""


# Towns of each district with a postcode; the provincial capital has several.
_TOWNS = {
    ANCONA: (
        ("Ancona", ("60121", "60122", "60123", "60124", "60125", "60127", "60128", "60131")),
        ("Agugliano", ("60020",)),
        ("Camerata Picena", ("60020",)),
        ("Offagna", ("60020",)),
        ("Polverigi", ("60020",)),
    ),
    FALCONARA: (
        ("Falconara Marittima", ("60015",)),
        ("Chiaravalle", ("60033",)),
        ("Montemarciano", ("60018",)),
        ("Monte San Vito", ("60037",)),
    ),
}
_STREETS = (
    "Via Roma",
    "Via Giuseppe Garibaldi",
    "Via Giuseppe Mazzini",
    "Via Guglielmo Marconi",
    "Via Giacomo Matteotti",
    "Via XX Settembre",
    "Via Giacomo Leopardi",
    "Corso Camillo Cavour",
    "Via Flaminia",
    "Via del Conero",
    "Via della Repubblica",
    "Via Vittorio Veneto",
    "Piazza della Libertà",
    "Via San Francesco",
)
_WOMEN = (
    "Maria", "Giuseppina", "Anna", "Rosa", "Angela", "Giovanna", "Teresa", "Lucia", "Carmela",
    "Franca", "Bruna", "Ida", "Iolanda", "Lina", "Nella", "Rina", "Wanda", "Ines", "Elena",
    "Adele", "Gina", "Luigia", "Marisa", "Liliana",
)  # fmt: skip
_MEN = (
    "Giuseppe", "Giovanni", "Antonio", "Mario", "Luigi", "Francesco", "Angelo", "Pietro",
    "Carlo", "Franco", "Domenico", "Bruno", "Enzo", "Aldo", "Gino", "Sergio", "Renato",
    "Dante", "Lino", "Ottavio", "Primo", "Settimio",
)  # fmt: skip
_SURNAMES = (
    "Rossi", "Marinelli", "Pieroni", "Cardinali", "Bartolucci", "Mancini", "Santini",
    "Giacomini", "Pierpaoli", "Montironi", "Sabbatini", "Paolinelli", "Mazzarini", "Coppari",
    "Baldoni", "Carletti", "Cingolani", "Ercoli", "Giorgetti", "Lucarelli", "Mariani",
    "Morbidelli", "Pesaresi", "Ragni", "Rocchetti", "Scortechini", "Tittarelli", "Fiorini",
    "Bedetti", "Brunori", "Cesaroni", "Santarelli", "Pigini", "Bravi", "Polenta", "Sturba",
)  # fmt: skip
_MEDICAL = (
    "Diabete di tipo 2, insulina la sera.",
    "Fibrillazione atriale, in terapia anticoagulante.",
    "BPCO, ossigeno di notte.",
    "Esiti di ictus (2019), emiparesi sinistra lieve.",
    "Ipertensione arteriosa.",
    "Decadimento cognitivo lieve.",
    "Protesi d'anca destra (2021), cammina con il deambulatore.",
    "Scompenso cardiaco, controllare il peso ogni mattina.",
    "Parkinson in fase iniziale.",
    "Artrosi diffusa, osteoporosi.",
    "Pacemaker dal 2018.",
    "Insufficienza renale cronica.",
)
_CARE = (
    "Un familiare passa ogni sera.",
    "Assistenza domiciliare (SAD) martedì e venerdì mattina.",
    "Pasti a domicilio dal Comune, a mezzogiorno.",
    "Sente poco: parlare lentamente e a voce alta, aspettare che risponda.",
    "Porta sempre il pendente al collo, anche di notte.",
    "Cane piccolo in casa, tranquillo.",
    "Badante tre pomeriggi a settimana.",
    "Esce ogni mattina per la spesa e la messa.",
    "Non ama il telefono: presentarsi subito come centrale di teleassistenza.",
    "Occhiali per leggere sul comodino.",
)
_KEY_SAFES = (
    "Cassetta portachiavi a destra del portone, codice {code}.",
    "Cassetta portachiavi sotto la cassetta della posta, codice {code}.",
    "Nessuna cassetta: le chiavi le hanno i contatti segnati.",
    "Cassetta portachiavi dietro il vaso in cortile, codice {code}.",
)
_FAMILY = {True: ("figlia", "nipote", "nuora", "sorella"), False: ("figlio", "nipote", "genero")}
_NEIGHBOUR_NOTES = (
    "Abita al piano di sotto.",
    "Abita nella casa accanto.",
    "Di solito in casa il pomeriggio.",
)
_FAMILY_NOTES = (
    "Lavora fino alle 17; al lavoro risponde tardi.",
    "Abita a 10 minuti.",
    "Abita a Jesi, 30 minuti in auto.",
    "",
)


def plan_home(home_id: str, index: int, seed: int) -> DemoHome:
    """The register of the ``index``-th home of a demo seeded with ``seed`` (pure)."""
    rng = random.Random(f"{seed}:demo-register:{index}")  # noqa: S311 - made-up people
    district = ANCONA if index % 5 < 3 else FALCONARA
    surname = rng.choice(_SURNAMES)
    address = _address(rng, district)
    key_safe = rng.choice(_KEY_SAFES).format(code=f"{rng.randrange(10_000):04d}")
    first = _resident(rng, surname, address, key_safe)
    residents = [first]
    if rng.random() < 0.15:
        residents.append(_resident(rng, surname, address, key_safe, woman=rng.random() < 0.5))
    check_in = CHECK_IN_BEFORE if index % 8 == 3 else None
    return DemoHome(
        home_id=home_id,
        district=district,
        residents=tuple(residents),
        contacts=_contacts(rng, surname, district),
        check_in_before=check_in,
        calls=_calls(index),
    )


def _address(rng: random.Random, district: str) -> str:
    town, postcodes = rng.choice(_TOWNS[district])
    return f"{rng.choice(_STREETS)} {rng.randint(1, 120)}, {rng.choice(postcodes)} {town} (AN)"


def _resident(
    rng: random.Random, surname: str, address: str, key_safe: str, *, woman: bool | None = None
) -> ResidentIn:
    # Most people living alone with a pendant are women in their eighties and nineties.
    is_woman = rng.random() < 0.7 if woman is None else woman
    name = rng.choice(_WOMEN if is_woman else _MEN)
    born = date(rng.randint(1930, 1945), rng.randint(1, 12), rng.randint(1, 28))
    conditions = rng.sample(_MEDICAL, k=rng.randint(1, 2))
    return ResidentIn(
        full_name=f"{name} {surname}",
        address=address,
        date_of_birth=born,
        language="it",
        medical_notes=" ".join(conditions),
        care_notes=rng.choice(_CARE),
        key_safe=key_safe,
    )


def _contacts(rng: random.Random, surname: str, district: str) -> tuple[ContactIn, ...]:
    name, woman = _someone(rng, surname)
    relative = ContactIn(
        name=name,
        relation=rng.choice(_FAMILY[woman]),
        phone=_mobile(rng),
        responder=True,
        has_key=True,
        notes=rng.choice(_FAMILY_NOTES),
    )
    name, woman = _someone(rng, rng.choice(_SURNAMES))
    neighbour = ContactIn(
        name=name,
        relation="vicina di casa" if woman else "vicino di casa",
        phone=_mobile(rng),
        responder=True,
        has_key=rng.random() < 0.6,
        notes=rng.choice(_NEIGHBOUR_NOTES),
    )
    name, woman = _someone(rng, rng.choice(_SURNAMES))
    doctor = ContactIn(
        name=f"{'Dott.ssa' if woman else 'Dott.'} {name}",
        relation="medico di base",
        phone=_landline(rng, district),
        notes="Ambulatorio dal lunedì al venerdì, 9-12.",
    )
    found = [relative, neighbour, doctor]
    if rng.random() < 0.4:
        name, woman = _someone(rng, surname)
        far = ContactIn(
            name=name,
            relation=rng.choice(_FAMILY[woman]),
            phone=_mobile(rng),
            notes="Abita fuori regione: chiamare per informare.",
        )
        found.insert(2, far)
    return tuple(found)


def _someone(rng: random.Random, surname: str) -> tuple[str, bool]:
    """A full name, and whether it is a woman's (Italian relations have a gender)."""
    woman = rng.random() < 0.5
    return f"{rng.choice(_WOMEN if woman else _MEN)} {surname}", woman


def _mobile(rng: random.Random) -> str:
    # Made-up numbers, never dialled by anything here.
    return f"+39 3{rng.randint(20, 49)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _landline(rng: random.Random, district: str) -> str:
    area = "071"  # both districts are in the province of Ancona
    exchange = rng.randint(200, 299) if district == ANCONA else rng.randint(910, 919)
    return f"+39 {area} {exchange} {rng.randint(1000, 9999)}"


def _calls(index: int) -> tuple[CallScheduleIn, ...]:
    # A call every day for some, twice a week for others, at the times services call.
    if index % 6 == 2:
        return (CallScheduleIn(weekdays=[1, 2, 3, 4, 5, 6, 7], at=time(17, 30)),)
    if index % 4 == 1:
        return (CallScheduleIn(weekdays=[1, 4], at=time(10, 30)),)
    return ()


class ForeignDatabaseError(TelecareError):
    """The database holds people or homes that are not the demo's."""


async def refuse_foreign_data(conn: AsyncConnection[Any]) -> None:
    """Refuse a database with users or homes the demo did not make.

    The demo signs up staff with a password printed for anyone to read: on a service's real
    database (a ``TELECARE_DATABASE_URL`` left in ``.env``) that would open it to anyone.

    Raises:
        ForeignDatabaseError: naming how many users and homes are not the demo's.
    """
    names = [user.username for user in DEMO_USERS]
    foreign_users = await users.count_not_named(conn, names)
    foreign_homes = await homes.count_not_matching(conn, DEMO_HOME_PATTERN)
    if foreign_users or foreign_homes:
        raise ForeignDatabaseError(
            f"the database holds {foreign_users} users and {foreign_homes} homes that are not"
            " the demo's; the demo signs up users with a public password, so it runs only on"
            " its own database or an empty one"
        )


async def add_demo_users(conn: AsyncConnection[Any]) -> None:
    """Sign up the demo's staff, all with :data:`DEMO_PASSWORD` (again: their password reset)."""
    for user in DEMO_USERS:
        await add_user(conn, user.username, DEMO_PASSWORD, user.role, user.districts)


async def register_homes(
    conn: AsyncConnection[Any], planned: Sequence[DemoHome], now: datetime
) -> list[DemoHome]:
    """Register the homes not registered yet, with their people, contacts and rules.

    Homes already registered (a database used before) are left as they are. Returns the
    homes registered now.
    """
    known = await homes.registered(conn, [h.home_id for h in planned])
    new = [h for h in planned if h.home_id not in known]
    for district in DISTRICTS:
        await homes.register(conn, [h.home_id for h in new if h.district == district], district)
    for home in new:
        async with conn.transaction():
            await _save(conn, home, now)
    return new


async def _save(conn: AsyncConnection[Any], home: DemoHome, now: datetime) -> None:
    resident_ids = [
        await registry.save_resident(conn, home.home_id, None, **resident.model_dump())
        for resident in home.residents
    ]
    await registry.replace_contacts(
        conn,
        home.home_id,
        [(c.name, c.relation, c.phone, c.responder, c.has_key, c.notes) for c in home.contacts],
    )
    if home.check_in_before is not None:
        # The wellbeing rules keep their defaults: the baselines learn each person's habits.
        await registry.save_rules(conn, home.home_id, TIME_ZONE, home.check_in_before)
    schedules = [
        (
            resident_ids[0],
            Schedule(frozenset(plan.weekdays), plan.at, plan.retry_minutes, plan.attempts),
        )
        for plan in home.calls
    ]
    if schedules:
        await calls.replace_schedules(conn, home.home_id, schedules, now)
