"""Class prototypes in the sentence-embedding space: a zero-shot vote that adapts to each batch without labels.

Each class has a centre, the normalised mean embedding of a few sentences written by the project. A text's
similarity to each centre is centred on the batch (each class's similarity minus its mean over the batch's texts),
so a class that every text of this batch resembles (film lines all look "neutral"; course feedback all looks
"positive") wins only where a text resembles it more than its neighbours do. As a zero-shot baseline this beat
the trained models on three of four real sentiment sets; the default models blend it into the encoder path
(`TaskModel.prototypes`, weight and temperature in the model's meta; see docs/analysis.md).
"""

from __future__ import annotations

import numpy as np

from civicpulse.analysis.encoder import Encoder
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS

TASK_LABELS = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}
MIN_GROUP = 20  # encoded texts of one language in a batch below which their centring is too noisy to use

# 8 prototype sentences per class (4 English, 4 Vietnamese), written by the project (no benchmark text).
PROTOTYPES: dict[str, dict[str, list[str]]] = {
    "sentiment": {
        "negative": ["This is terrible, I am so disappointed.", "Worst service ever, never again.",
                     "I hate how badly this was handled.", "What a mess, everything went wrong.",
                     "Tệ quá, thất vọng thật sự.", "Dịch vụ kém, không bao giờ quay lại.",
                     "Bực mình ghê, làm ăn chán quá.", "Buồn thật, mọi thứ hỏng hết rồi."],
        "neutral": ["The meeting is scheduled for Monday at 9 am.", "The store opens at eight.",
                    "Here is the link to the form.", "The report lists the numbers for last year.",
                    "Cuộc họp diễn ra vào sáng thứ Hai.", "Cửa hàng mở cửa lúc tám giờ.",
                    "Cho mình hỏi địa chỉ ở đâu vậy?", "Lịch học tuần sau được cập nhật trên trang web."],
        "positive": ["This is wonderful, I love it!", "Great job, thank you so much.",
                     "I'm really happy with how it turned out.", "Excellent service, highly recommend.",
                     "Tuyệt vời quá, mình rất thích.", "Cảm ơn nhiều, dịch vụ rất tốt.",
                     "Vui quá, mọi thứ đều ổn.", "Thầy dạy rất hay và nhiệt tình."],
    },
    "emotion": {
        "anger": ["I'm furious, this is outrageous!", "Stop lying to us, I'm sick of this.",
                  "How dare they do this again!", "This makes me so angry.",
                  "Bực mình quá, làm ăn kiểu gì vậy!", "Tức điên lên được, lừa đảo!",
                  "Thật không thể chấp nhận nổi, quá đáng!", "Giận sôi máu với cái kiểu này."],
        "disgust": ["That's disgusting, gross.", "The smell was revolting.",
                    "Such corrupt, vile behaviour makes me sick.", "Ew, the toilet was filthy.",
                    "Ghê tởm thật sự.", "Bẩn kinh khủng, nhìn mà muốn ói.",
                    "Thối không chịu nổi.", "Kinh tởm cái thói tham nhũng đó."],
        "fear": ["I'm scared something bad will happen.", "This is terrifying.",
                 "I'm so worried and anxious about it.", "I don't feel safe walking here at night.",
                 "Sợ quá, không dám ra đường.", "Lo lắng quá không biết phải làm sao.",
                 "Nghe mà rợn người.", "Mình thấy bất an lắm."],
        "joy": ["I'm so happy today!", "This made my day, thank you!",
                "I love this so much.", "What great news, I'm thrilled.",
                "Vui quá trời luôn!", "Hạnh phúc ghê, cảm ơn mọi người.",
                "Thích quá, tuyệt vời!", "Tin vui quá, mừng ghê."],
        "sadness": ["I feel so sad and lonely.", "I miss her so much, it hurts.",
                    "It's heartbreaking to see this.", "I'm really disappointed and down.",
                    "Buồn quá, muốn khóc.", "Thương quá, đau lòng thật.",
                    "Chán nản và thất vọng lắm.", "Nhớ nhà quá đi."],
        "surprise": ["Wow, I didn't expect that at all!", "No way, really?",
                     "I can't believe this happened!", "What a surprise!",
                     "Trời ơi, không thể tin được!", "Thật hả, bất ngờ quá!",
                     "Ủa sao lại vậy?", "Không ngờ luôn đó."],
        "neutral": ["The bus leaves at 7.", "Please send me the file.",
                    "The office is on the second floor.", "I'll check tomorrow.",
                    "Xe buýt chạy lúc 7 giờ.", "Gửi giúp mình tài liệu nhé.",
                    "Văn phòng ở tầng hai.", "Mai mình kiểm tra lại."],
    },
}


def prototype_centres(task: str, encoder: Encoder) -> np.ndarray:
    """(classes, dim) unit vectors, in the task's label order."""
    centres = np.stack([encoder.passages(PROTOTYPES[task][label]).mean(axis=0) for label in TASK_LABELS[task]])
    return (centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32)


def centred_prototype_probs(sims: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax over classes of temperature x (similarity minus its mean over the rows, per class)."""
    z = temperature * (sims - sims.mean(axis=0, keepdims=True))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
