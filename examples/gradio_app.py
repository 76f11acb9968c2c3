"""A Gradio app whose every output is disclosed as AI-generated.

Run it where gradio is installed (it is not needed by the library or its
tests):

    WMARK_LIBRARY=build/lib/libwatermark.so.0 \
        PYTHONPATH=bindings/python python3 examples/gradio_app.py

The "models" here are stand-ins (a generated gradient, an echoing chat
bot) so that the example runs anywhere; put real pipelines in their place.
"""

import time

import gradio as gr
import numpy as np

import wmark.gradio


@wmark.gradio.disclose(text="AI-generated", position="bottom-right")
def generate_image(prompt: str, seed: int):
    """Returns a numpy array; the decorator marks it and hands Gradio the
    path of a marked PNG that carries the disclosure in its metadata."""
    rng = np.random.default_rng(int(seed))
    h, w = 512, 768
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]
    colours = rng.random((2, 3))
    return ((y * colours[0] + x * colours[1]) / 2 * 255).astype(np.uint8)


@wmark.gradio.disclose(text_format="markdown",
                       disclosure="This answer was written by an AI model.")
def chat(message: str, history: list):
    """Streams a reply; the disclosure is added once, to the final text."""
    reply = f"You said: {message}"
    for end in range(1, len(reply) + 1):
        time.sleep(0.01)
        yield reply[:end]


@wmark.gradio.disclose(text="AI-generated video", threads=2)
def restyle_video(path: str):
    """Returns a video path; the decorator marks it into a new file."""
    return path


with gr.Blocks(title="wmark demo") as demo:
    with gr.Tab("Image"):
        prompt = gr.Textbox(label="Prompt")
        seed = gr.Number(value=1, label="Seed")
        image = gr.Image(label="Result", type="filepath")
        gr.Button("Generate").click(generate_image, [prompt, seed], image)
    with gr.Tab("Chat"):
        gr.ChatInterface(chat)
    with gr.Tab("Video"):
        video_in = gr.Video(label="Input")
        video_out = gr.Video(label="Result")
        gr.Button("Restyle").click(restyle_video, video_in, video_out)

if __name__ == "__main__":
    demo.queue().launch()
