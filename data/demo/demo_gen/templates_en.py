"""English post templates (expats, tourists, English-language news accounts): "emotion|text" per line."""

from __future__ import annotations

EN: dict[str, tuple[str, ...]] = {
    "traffic": (
        "anger|Sat in a traffic jam on {road} for 45 minutes this morning. {city} rush hour is no joke",
        "neutral|Traffic update: heavy congestion on {road} ({d}) due to roadworks, expect delays",
        "joy|Finally figured out motorbike traffic in {city}. Crossing the street is a skill and I'm proud",
        "fear|Took a motorbike taxi through {d} at rush hour. Terrifying and exhilarating",
        "surprise|{road} was completely empty today, never seen that in {city}",
        "disgust|People riding on the sidewalk in {d} again, and honking at pedestrians. Gross",
        "sadness|Two hours a day commuting from {d}. I miss having a life",
    ),
    "transit": (
        "anger|Grab surge pricing in {d} during the rain is insane, 3x the normal fare",
        "neutral|Is there a bus from {d} to the airport? Maps says route {n} but not sure it still runs",
        "joy|The new electric buses in {city} are quiet and cheap. 7k VND a ride, love it",
        "sadness|Waited 40 min for bus {n} in the heat. Gave up and walked",
    ),
    "metro": (
        "joy|{line} is clean, cold and on time. Honestly better than some lines back home",
        "neutral|Took {line} from {station} to the centre, about 30 minutes",
        "surprise|Didn't expect {line} to be this packed on a Sunday",
        "anger|No motorbike parking at {station} station, how are people supposed to use {line}?",
    ),
    "flood": (
        "fear|Water on {road} is knee-deep after the downpour. Stay safe everyone",
        "neutral|Heavy rain warning for {city} this afternoon; low-lying areas in {d} may flood",
        "anger|Every year the same flooding in {d}. Where does the anti-flooding budget go?",
        "surprise|20 minutes of rain and the street outside my place in {d} is a river",
        "sadness|38 degrees in {city} today. Walking outside feels like an oven",
    ),
    "air": (
        "fear|AQI {aqi} in {city} this morning. Running indoors today, masks on",
        "sadness|Can't see the skyline from {d} today, the smog is thick",
        "neutral|Air quality in {city} at {hh}: AQI {aqi} (unhealthy); sensitive groups should limit outdoor activity",
        "joy|Blue sky and AQI {aqi_low} in {city} today, perfect day for a walk around the lake",
    ),
    "health": (
        "neutral|Any recommendations for an English-speaking clinic in {d}?",
        "joy|Dental checkup in {city} was quick, cheap and professional. Very impressed",
        "anger|Waited 4 hours at the hospital for a simple check-up",
        "fear|Dengue cases are rising in {city}, use repellent folks",
    ),
    "edu": (
        "neutral|International school fees in {city} keep climbing; anyone found a decent bilingual option?",
        "joy|My students in {d} aced their speaking test today, proud teacher moment",
    ),
    "admin": (
        "neutral|Expat tip: after the 2025 administrative merger many ward names changed, update your address",
        "anger|Visa extension paperwork in {city} took three trips. Nobody could tell me which form",
        "surprise|Registered my temporary residence online in 10 minutes. Did not expect that",
        "neutral|Vietnam merged its 63 provinces into 34 in 2025; addresses in {city} now use the new ward names",
    ),
    "housing": (
        "anger|Rent for a 1-bedroom in {d} went up 20% this year. Landlords are wild",
        "neutral|Looking for an apartment near {d}, budget around 12 million VND. Tips?",
        "joy|Found a lovely place in {d}, quiet alley, friendly neighbours",
    ),
    "prices": (
        "surprise|Gold prices in Vietnam hit another record today, queues outside shops on {road}",
        "neutral|Fuel prices adjusted today: RON 95 at {fuel} VND per litre",
        "sadness|Electricity bill this month was brutal, AC running all night in the {city} heat",
    ),
    "jobs": (
        "neutral|Tech hiring in {city} is picking up, lots of backend roles",
        "anger|Unpaid overtime is still a thing in {city} offices, it's 2026 come on",
        "joy|Got a job offer in {city}! Moving next month",
    ),
    "safety": (
        "fear|Phone snatched on {road} last night, be careful using your phone on the street",
        "neutral|Police in {city} warn about scam calls impersonating tax officers",
        "joy|A stranger helped me push my flooded motorbike in {d}. People here are kind",
    ),
    "utilities": (
        "anger|Power cut in {d} again, no notice, and it's 36 degrees",
        "anger|Fibre internet down all day in {d}, WFH impossible",
        "neutral|Scheduled power maintenance in {d} tomorrow 7am-5pm",
    ),
    "culture": (
        "joy|The walking street at {lm} on a Saturday night is pure joy. Live music everywhere",
        "joy|Concert in {city} last night was incredible, crowd was electric",
        "neutral|Festival at {lm} this weekend, free entry",
        "disgust|Trash everywhere after the festival at {lm}. Come on people",
    ),
    "tourism": (
        "joy|Spent the weekend in {dest}, cool weather, great coffee",
        "anger|Got overcharged at {lm}, 200k for a coconut. Tourist trap",
        "neutral|Travel tip: from {city} to {dest} takes about {n} hours by bus",
        "surprise|{lm} at sunrise was empty and magical, didn't expect that",
    ),
    # "Hue" the city and "hue" the word; "Vinh" the city.
    "words": (
        "joy|Loving the hue of the sky over the river tonight",
        "joy|Hue's citadel is stunning, spent the whole day there",
        "neutral|Anyone been to Vinh? Heading there for work next week",
    ),
    "storm": (
        "fear|Storm just hit Saigon. Streets in {d} flooding fast, stay indoors if you can",
        "neutral|BREAKING: Heavy flooding across Ho Chi Minh City after the storm; high tide expected this evening",
        "sadness|Our ground floor in {d} is under water. Lost a lot of stuff",
        "anger|Third time this year {road} is underwater. The drainage just can't cope",
        "joy|Huge thanks to the neighbours who helped move our stuff upstairs during the flood",
        "surprise|Never seen {d} flooded like this, water up to the car doors",
        "neutral|Flooded roads in {city} right now: {road}, {road2}. Avoid if you can",
    ),
    "metro_fare": (
        "neutral|Saigon Metro Line 1 announces new fares: {mfare}-{mfare2} VND per trip, monthly pass {mpass} VND",
        "anger|Metro fares going up already? The bus is cheaper and feeder buses are still rare",
        "joy|{mpass} VND for a monthly metro pass is a great deal for commuters",
        "surprise|So the free metro period is over? Wow, that was quick",
    ),
    "fireworks": (
        "joy|National Day fireworks over {lm} were spectacular!",
        "neutral|National Day fireworks tonight at 9pm in {city}: main site {lm}",
        "anger|Two hours stuck in traffic after the fireworks. Worth it? Maybe",
        "joy|Watched the 2/9 fireworks from a rooftop in {d}. What a night",
    ),
    "trung_thu": (
        "joy|Mid-Autumn Festival lanterns on {lm} are beautiful, kids everywhere",
        "neutral|Mooncakes this year range from 60k to 200k VND each",
        "surprise|Durian and salted egg mooncake. Who came up with this",
    ),
}

EN_REPLIES: tuple[str, ...] = (
    "inherit|Same here", "inherit|This. Exactly this", "inherit|Can confirm", "inherit|+1",
    "inherit|Same in {d}", "neutral|Which part of {road}?", "neutral|Source?", "neutral|Any update on this?",
    "neutral|Try going via {road} instead", "joy|Thanks for the heads up", "joy|lol welcome to {city}",
    "joy|Good to know, thanks", "anger|Nothing ever changes", "surprise|Wait, really?",
    "fear|Yikes, stay safe", "sadness|That sucks, sorry", "neutral|Depends on the time of day tbh",
    "disgust|Ugh, classic",
)
